"""A project's sales office calendar, when it is not the statutory one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Base, Code, now


class OfficeCalendar(Base):
    """A project whose sales office works through weekends and statutory holidays (销售案场节假日
    照常营业): every day is a working day for its deadlines except ``days_off``, the days it
    declared closed (ISO dates, comma-separated, in order). No row: the statutory calendar."""

    __tablename__ = "office_calendar"

    project_code: Mapped[Code] = mapped_column(ForeignKey("project.code"), primary_key=True)
    days_off: Mapped[str] = mapped_column(Text, default="")
    declared_by_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    declared_at: Mapped[dt.datetime] = mapped_column(default=now)

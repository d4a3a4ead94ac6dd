"""The working-morning digest: each person's 我的任务, overdue first, counts by kind, links.

Made once per working day (the Chinese calendar of ``sync.domain.workdays``) for every active account with
at least one task, as one outbox message each (key ``digest:<day>:<account>``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.models import Account
from sync.domain.tasks import TaskList, tasks_for
from sync.domain.workdays import WorkCalendar
from sync.outbox.messages import Poster, post
from sync.outbox.settings import NotifySettings

SHOWN = 10  # overdue and due tasks listed one by one; the rest are counted


def digest_lines(tasks: TaskList, settings: NotifySettings) -> str:
    counts = Counter(t.kind for t in tasks.tasks)
    overdue = [t for t in tasks.tasks if t.overdue]
    lines = []
    if overdue:
        lines.append(f"逾期 {len(overdue)} 项：")
        lines += [
            f"- [{t.kind}] {t.subject} {t.detail}（逾期 {t.overdue_days} 个工作日）" for t in overdue[:SHOWN]
        ]
    rest = [t for t in tasks.tasks if not t.overdue][: max(0, SHOWN - len(overdue))]
    if rest:
        lines.append("待办：")
        lines += [
            f"- [{t.kind}] {t.subject} {t.detail}" + (f"（{t.due} 到期）" if t.due else "") for t in rest
        ]
    lines.append("按类别：")
    lines += [
        f"- {kind} {n} 项：{settings.link('/?kind=' + quote(kind))}" for kind, n in counts.most_common()
    ]
    return "\n".join(lines)


def make_digests(
    session: Session,
    day: dt.date,
    settings: NotifySettings,
    calendar: WorkCalendar,
    lang: str,
    poster: Poster = post,
) -> int:
    """Post the digest of ``day`` to everyone with tasks; how many were posted."""
    posted = 0
    for account in session.scalars(select(Account).where(Account.active).order_by(Account.id)):
        tasks = tasks_for(session, account.username, day, calendar)
        if not tasks.tasks:
            continue
        posted += poster(
            session,
            account,
            "digest",
            f"digest:{day.isoformat()}:{account.id}",
            settings.link("/"),
            lang=lang,
            day=day.isoformat(),
            total=len(tasks.tasks),
            overdue=tasks.overdue_count,
            lines=digest_lines(tasks, settings),
        )
    return posted

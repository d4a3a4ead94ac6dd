"""Every table of the domain; importing this package registers them all on ``Base.metadata``."""

from schema.base import Base
from schema.models.audit import ChangeItem, ChangeSet, SealedRows, Signature, WorkLogEntry, WorkLogHead
from schema.models.calendar import OfficeCalendar
from schema.models.customers import Collision, Customer, CustomerEvent, Questionnaire, Reassignment
from schema.models.deals import Contract, RoomControl, RoomStatusChange, SpecialTransaction, Subscription
from schema.models.ingest import (
    KnownDigest,
    SettledRows,
    StoredFile,
    VersionFinding,
    Workbook,
    WorkbookVersion,
)
from schema.models.jobs import JobState, WatchJob
from schema.models.money import Mortgage, MortgageStatusChange, Receipt
from schema.models.notify import (
    NotifyChannel,
    NotifyDelivery,
    NotifyMessage,
    NotifySetting,
    ScheduleRun,
)
from schema.models.org import Account, AccountRole, Region
from schema.models.project import Building, Discount, PaymentPlan, PaymentPlanLine, Project, Room
from schema.models.reconcile import ReconciliationItem, ReconciliationRun
from schema.models.report_indexes import REPORT_INDEXES  # noqa: F401  (registers the reports' indexes)
from schema.models.report_runs import ReportRun, ReportRunRow
from schema.models.service import AreaTrueUp, MoveIn
from schema.models.sources import OnlineSheet
from schema.models.terms import DealDiscount, DealTermLine

__all__ = [
    "Account",
    "AccountRole",
    "AreaTrueUp",
    "Base",
    "Building",
    "ChangeItem",
    "ChangeSet",
    "Collision",
    "Contract",
    "Customer",
    "CustomerEvent",
    "DealDiscount",
    "DealTermLine",
    "Discount",
    "JobState",
    "KnownDigest",
    "Mortgage",
    "MortgageStatusChange",
    "MoveIn",
    "NotifyChannel",
    "NotifyDelivery",
    "NotifyMessage",
    "NotifySetting",
    "OfficeCalendar",
    "OnlineSheet",
    "PaymentPlan",
    "PaymentPlanLine",
    "Project",
    "Questionnaire",
    "Reassignment",
    "Receipt",
    "ReconciliationItem",
    "ReconciliationRun",
    "Region",
    "ReportRun",
    "ReportRunRow",
    "Room",
    "RoomControl",
    "RoomStatusChange",
    "ScheduleRun",
    "SealedRows",
    "SettledRows",
    "Signature",
    "SpecialTransaction",
    "StoredFile",
    "Subscription",
    "VersionFinding",
    "WatchJob",
    "WorkLogEntry",
    "WorkLogHead",
    "Workbook",
    "WorkbookVersion",
]

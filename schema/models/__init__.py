"""Every table of the domain; importing this package registers them all on ``Base.metadata``."""

from schema.base import Base
from schema.models.audit import ChangeItem, ChangeSet, Signature, WorkLogEntry
from schema.models.customers import Collision, Customer, CustomerEvent, Questionnaire, Reassignment
from schema.models.deals import Contract, RoomControl, RoomStatusChange, SpecialTransaction, Subscription
from schema.models.ingest import KnownDigest, StoredFile, VersionFinding, Workbook, WorkbookVersion
from schema.models.money import Mortgage, Receipt
from schema.models.org import Account, AccountRole, Region
from schema.models.project import Building, Discount, PaymentPlan, PaymentPlanLine, Project, Room
from schema.models.service import AreaTrueUp, MoveIn

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
    "Discount",
    "KnownDigest",
    "Mortgage",
    "MoveIn",
    "PaymentPlan",
    "PaymentPlanLine",
    "Project",
    "Questionnaire",
    "Reassignment",
    "Receipt",
    "Region",
    "Room",
    "RoomControl",
    "RoomStatusChange",
    "Signature",
    "SpecialTransaction",
    "StoredFile",
    "Subscription",
    "VersionFinding",
    "WorkLogEntry",
    "Workbook",
    "WorkbookVersion",
]

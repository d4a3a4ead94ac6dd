"""Sync plans: how a kind's validated rows become database rows.

A kind names its plan (``WorkbookKind.plan``); the plan receives an :class:`IngestContext` and
returns a :class:`PlanResult`. Plans never commit: the ingest wraps them in one transaction.
"""

from sync.plans import customers, deals, deals_bulk, master, money, reconcile, service
from sync.plans.context import PLANS, Plan

__all__ = ["customers", "deals", "deals_bulk", "get_plan", "master", "money", "reconcile", "service"]


def get_plan(name: str) -> Plan:
    return PLANS.get(name)

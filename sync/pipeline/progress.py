"""Stages of an ingest, for the people waiting on a big workbook."""

from __future__ import annotations

from collections.abc import Callable

# read: safety inspection and the read; check: typing and the rules; write: the sync plan;
# commit: the version's transaction ends; feedback: the result workbook and the stamp.
STAGES = ("read", "check", "write", "commit", "feedback")

LABELS = {
    "zh": {"read": "读取", "check": "校验", "write": "写入", "commit": "提交", "feedback": "反馈"},
    "en": {
        "read": "reading",
        "check": "checking",
        "write": "writing",
        "commit": "committing",
        "feedback": "feedback",
    },
}

Progress = Callable[[str], None]


def quiet(_stage: str) -> None:
    """No one is watching."""

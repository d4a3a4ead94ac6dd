"""Identity is per account: a byte copy of another rep's stamped workbook is the copier's own save."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from sqlalchemy import func, select

from schema.models import Collision, WorkbookVersion
from sync.app import Salesync
from sync.domain.accounts import get_account
from sync.pipeline.outcome import Verdict
from tests.workbooks import customer_rows, fill_template


def test_byte_copy_of_another_reps_stamped_workbook(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    theirs = fill_template("customers", customer_rows(3), tmp_path / "SZ" / "rep_b" / "客户登记.xlsx")
    first = app.ingest(theirs, "rep_b")
    assert first.verdict is Verdict.ACCEPTED
    stamped = theirs.read_bytes()  # with rep_b's stamp written back
    assert first.sha256 != hashlib.sha256(stamped).hexdigest()

    mine = tmp_path / "SZ" / "rep_a" / "客户登记.xlsx"
    mine.parent.mkdir(parents=True)
    shutil.copyfile(theirs, mine)
    copied = app.ingest(mine, "rep_a")

    assert copied.verdict is not Verdict.UNCHANGED
    assert copied.version_id is not None and copied.version_id != first.version_id
    with app.transaction() as session:
        rep_a = get_account(session, "rep_a")
        version = session.get(WorkbookVersion, copied.version_id)
        assert version is not None and version.account_id == rep_a.id and version.seq == 1
        collisions = session.scalar(
            select(func.count()).select_from(Collision).where(Collision.account_id == rep_a.id)
        )
    assert collisions == 3  # every customer is rep_b's: three 撞单 for the copier

    again = app.ingest(theirs, "rep_b")  # rep_b's own stamped file is still theirs, unchanged
    assert again.verdict is Verdict.UNCHANGED

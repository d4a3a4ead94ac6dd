"""Signed master-data changes (docs/domain.md §6): nothing applies unsigned; who must sign; electronic
signatures bound to the content; supersession, conflicts, and never a partial apply."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from schema.base import now
from schema.models import ChangeItem, ChangeSet, Room, Signature, WorkLogEntry
from sync.app import Salesync
from sync.cli import main
from sync.domain import accounts, signing
from sync.domain.signing import ChangeSetConflict, SigningRefused
from sync.domain.worklog import LogWriter, session_key, verify
from sync.pipeline.outcome import Outcome, Verdict
from tests.conftest import PASSWORD
from tests.signers import GM, ensure_gm, sign_off
from tests.workbooks import edit, fill_template, master_rows, today


def submit(app: Salesync, path: Path, rows: dict[str, list[dict[str, Any]]] | None = None) -> Outcome:
    outcome = app.ingest(fill_template("project_master", rows or master_rows(), path), "operator")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.findings
    assert outcome.change_set_id is not None
    return outcome


def sign(app: Salesync, change_set_id: int, username: str, password: str = PASSWORD) -> signing.SignResult:
    with app.transaction() as session:
        return signing.sign(session, change_set_id, username, password)


def refused(app: Salesync, change_set_id: int, username: str, password: str = PASSWORD) -> str:
    with pytest.raises(SigningRefused) as caught:
        sign(app, change_set_id, username, password)
    assert caught.value.message("zh") and caught.value.message("en")
    return caught.value.code


def live_rooms(app: Salesync) -> int:
    with app.transaction() as session:
        return session.scalar(select(func.count()).select_from(Room).where(Room.removed_at.is_(None))) or 0


def status(app: Salesync, change_set_id: int) -> str:
    with app.transaction() as session:
        cs = session.get(ChangeSet, change_set_id)
        assert cs is not None
        return cs.status


def add(app: Salesync, username: str, roles: list[str], region: str | None = "SZ") -> None:
    with app.transaction() as session:
        accounts.add_user(session, username, name=username, roles=roles, password=PASSWORD, region=region)


def repriced(
    rows: dict[str, list[dict[str, Any]]], index: int, price: int
) -> dict[str, list[dict[str, Any]]]:
    room = rows["房间"][index]
    room["单价"], room["总价"] = price, round(price * room["建筑面积"], 2)
    return rows


# -- acceptance: an initial load needs the region's GM and a senior manager ----------------------------


def test_initial_load_signed_only_by_a_senior_manager_stays_pending_until_the_region_gm_signs(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    outcome = submit(app, tmp_path / "项目资料.xlsx")
    pending = next(f for f in outcome.findings if f.code == "change-set-pending")
    assert "地区总经理" in pending.message() and "市场营销部高级经理" in pending.message()
    assert live_rooms(app) == 0

    first = sign(app, outcome.change_set_id or 0, "senior")
    assert (first.status, first.missing) == ("待签", ["地区总经理"])
    assert live_rooms(app) == 0 and status(app, outcome.change_set_id or 0) == "待签"

    ensure_gm(app)
    second = sign(app, outcome.change_set_id or 0, GM)
    assert second.status == "已生效" and second.rows_written == 16
    assert live_rooms(app) == 8
    with app.transaction() as session:
        cs = session.get(ChangeSet, outcome.change_set_id)
        assert cs is not None and cs.applied_at is not None
        assert [(s.account.username, s.role, s.meaning) for s in cs.signatures] == [
            ("senior", "senior_manager", "批准"),
            (GM, "region_gm", "批准"),
        ]
        assert all(s.content_hash == cs.content_hash and s.signed_at for s in cs.signatures)
        applied = session.scalars(select(WorkLogEntry).where(WorkLogEntry.change_set_id == cs.id)).all()
        assert {e.op for e in applied} == {"submit", "sign", "新增"}  # the new rows: sealed per table
        assert {e.signers for e in applied if e.op == "新增"} == {"gm,senior"}
        assert verify(session).ok


def test_a_later_change_needs_one_senior_manager_or_above(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    sign_off(app, submit(app, tmp_path / "v1.xlsx"))
    add(app, "boss", ["executive"], region=None)  # group-wide
    later = submit(app, tmp_path / "v2.xlsx", repriced(master_rows(), 0, 33000))
    with app.transaction() as session:
        cs = session.get(ChangeSet, later.change_set_id)
        assert cs is not None and not cs.is_initial
        assert signing.required_titles(cs) == ["市场营销部高级经理或以上"]
    result = sign(app, later.change_set_id or 0, "boss")
    assert result.status == "已生效"
    with app.transaction() as session:
        price = session.scalar(
            select(Room.unit_price).where(Room.code == master_rows()["房间"][0]["房间编码"])
        )
        assert float(price or 0) == 33000


# -- acceptance: the submitter's own signature does not count -----------------------------------------


def test_a_change_signed_by_its_own_submitter_does_not_count(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    sign_off(app, submit(app, tmp_path / "v1.xlsx"))
    add(app, "op_senior", ["operator", "senior_manager"])  # may submit and, for others' changes, sign
    path = fill_template("project_master", repriced(master_rows(), 0, 33000), tmp_path / "v2.xlsx")
    own = app.ingest(path, "op_senior")
    cs_id = own.change_set_id or 0
    assert refused(app, cs_id, "op_senior") == "sign-is-submitter"
    assert status(app, cs_id) == "待签"

    # Even a correctly sealed signature of the submitter, however it got there, is not counted.
    with app.transaction() as session:
        cs = session.get(ChangeSet, cs_id)
        assert cs is not None
        submitter = accounts.get_account(session, "op_senior")
        sig = Signature(
            change_set_id=cs_id,
            account_id=submitter.id,
            role="senior_manager",
            meaning="批准",
            signed_at=now(),
            content_hash=cs.content_hash or "",
            seal="",
        )
        sig.seal = signing._seal(session_key(session), sig)
        session.add(sig)
        session.flush()
        session.refresh(cs)
        assert signing.counted_approvals(session, cs) == []
        assert [r.title for r in signing.missing(session, cs, [])] == ["市场营销部高级经理或以上"]
    assert sign(app, cs_id, "senior").status == "已生效"


def test_two_signatures_by_one_person_never_count_twice(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    add(app, "both", ["region_gm", "senior_manager"])
    cs_id = submit(app, tmp_path / "v1.xlsx").change_set_id or 0
    first = sign(app, cs_id, "both")
    assert first.status == "待签" and len(first.missing) == 1  # one person fills one of the two places
    assert refused(app, cs_id, "both") == "sign-already-signed"
    assert sign(app, cs_id, "senior").status == "已生效"


def test_a_signer_must_know_the_password_be_active_in_the_region_and_hold_a_signing_role(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    cs_id = submit(app, tmp_path / "v1.xlsx").change_set_id or 0
    with app.transaction() as session:
        accounts.add_region(session, "BJ", "北京地区公司")
    add(app, "bj_senior", ["senior_manager"], region="BJ")
    add(app, "gone", ["senior_manager"])
    with app.transaction() as session:
        accounts.disable_user(session, "gone")
    assert refused(app, cs_id, "senior", "wrong password") == "sign-wrong-password"
    assert refused(app, cs_id, "manager") == "sign-not-authorised"
    assert refused(app, cs_id, "bj_senior") == "sign-wrong-region"
    assert refused(app, cs_id, "gone") == "sign-inactive"
    assert refused(app, 999, "senior") == "change-set-unknown"
    with app.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Signature)) == 0
        assert [r.change_set.id for r in signing.change_sets(session, signer="senior")] == [cs_id]
        assert signing.change_sets(session, signer="manager") == []


def test_a_rejection_needs_a_reason_and_keeps_the_change_set(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    cs_id = submit(app, tmp_path / "v1.xlsx").change_set_id or 0
    with pytest.raises(SigningRefused, match="原因"), app.transaction() as session:
        signing.reject(session, cs_id, "senior", PASSWORD, "  ")
    with app.transaction() as session:
        assert signing.reject(session, cs_id, "senior", PASSWORD, "单价与定价审批表不符").status == "已驳回"
    ensure_gm(app)
    assert refused(app, cs_id, GM) == "sign-not-pending"
    assert live_rooms(app) == 0
    with app.transaction() as session:
        cs = session.get(ChangeSet, cs_id)
        assert cs is not None and cs.status == "已驳回" and len(cs.items) == 16
        assert [(s.meaning, s.reason) for s in cs.signatures] == [("驳回", "单价与定价审批表不符")]
        rejected = session.scalar(select(WorkLogEntry).where(WorkLogEntry.op == "reject"))
        assert rejected is not None and "单价与定价审批表不符" in rejected.changes


# -- a signature binds to the exact content -----------------------------------------------------------


def test_a_change_set_altered_after_signing_no_longer_counts_as_signed(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    cs_id = submit(app, tmp_path / "v1.xlsx").change_set_id or 0
    sign(app, cs_id, "senior")
    with app.engine.begin() as conn:  # someone with database access changes a price after signing
        conn.execute(
            text("UPDATE change_item SET new = REPLACE(new, '32000', '12000') WHERE change_set_id = :id"),
            {"id": cs_id},
        )
    with app.transaction() as session:
        cs = session.get(ChangeSet, cs_id)
        assert cs is not None and signing.counted_approvals(session, cs) == []
    ensure_gm(app)
    assert refused(app, cs_id, GM) == "sign-altered"
    assert live_rooms(app) == 0


def test_a_signature_row_written_by_hand_does_not_count(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    cs_id = submit(app, tmp_path / "v1.xlsx").change_set_id or 0
    ensure_gm(app)
    with app.transaction() as session:
        cs = session.get(ChangeSet, cs_id)
        gm = accounts.get_account(session, GM)
        assert cs is not None
        session.add(
            Signature(
                change_set_id=cs_id,
                account_id=gm.id,
                role="region_gm",
                meaning="批准",
                signed_at=now(),
                content_hash=cs.content_hash or "",
                seal="0" * 64,
            )
        )
    assert sign(app, cs_id, "senior").missing == ["地区总经理"]
    assert live_rooms(app) == 0


# -- acceptance: supersession, conflicts, never a partial apply -----------------------------------------


def test_a_newer_version_of_the_workbook_supersedes_its_unsigned_change_set(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "项目资料.xlsx"
    v1 = submit(app, path)
    sign(app, v1.change_set_id or 0, "senior")  # partly signed: still not in effect
    edit(path, "房间", 2, "单价", 31000)  # the operator corrects the saved (stamped) workbook
    edit(path, "房间", 2, "总价", round(31000 * master_rows()["房间"][0]["建筑面积"], 2))
    v2 = app.ingest(path, "operator")
    assert v2.verdict is Verdict.ACCEPTED and v2.seq == 2, v2.findings
    assert {f.code for f in v2.findings} == {"change-set-pending", "change-set-superseded"}
    with app.transaction() as session:
        old = session.get(ChangeSet, v1.change_set_id)
        assert old is not None and old.status == "已作废" and old.superseded_by_id == v2.change_set_id
        assert len(old.items) == 16 and len(old.signatures) == 1  # kept, with its signature
    ensure_gm(app)
    assert refused(app, v1.change_set_id or 0, GM) == "sign-not-pending"
    sign_off(app, v2)
    with app.transaction() as session:
        price = session.scalar(
            select(Room.unit_price).where(Room.code == master_rows()["房间"][0]["房间编码"])
        )
        assert float(price or 0) == 31000


def test_a_change_set_whose_base_changed_is_refused_naming_the_fields_and_nothing_applies(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    sign_off(app, submit(app, tmp_path / "v1.xlsx"))
    first = submit(app, tmp_path / "a.xlsx", repriced(master_rows(), 0, 33000))  # a workbook of its own
    rows = repriced(master_rows(), 0, 34000)
    rows["房间"][1]["户型"] = "两房两厅"  # a change nobody else made
    second = submit(app, tmp_path / "b.xlsx", rows)
    assert sign(app, first.change_set_id or 0, "senior").status == "已生效"

    with pytest.raises(ChangeSetConflict) as caught, app.transaction() as session:
        signing.sign(session, second.change_set_id or 0, "senior", PASSWORD)
    conflicts = caught.value.conflicts
    room = master_rows()["房间"][0]["房间编码"]
    assert sorted((c.key, c.field, c.expected, c.current) for c in conflicts) == [
        (room, "单价", "32000", "33000"),
        (room, "总价", _total(32000), _total(33000)),
    ]
    assert "单价" in str(caught.value) and room in str(caught.value)
    with app.transaction() as session:
        cs = session.get(ChangeSet, second.change_set_id)
        assert cs is not None and cs.status == "待签" and cs.signatures == []  # the signature was not kept
        layout = session.scalar(select(Room.layout).where(Room.code == master_rows()["房间"][1]["房间编码"]))
        assert layout == "三房两厅"  # its conflict-free item did not apply either
        assert len(signing.review(session, cs.id).conflicts) == 2
        assert verify(session).ok


def _total(price: int) -> str:
    from sync.core.rows import show

    return show(round(price * master_rows()["房间"][0]["建筑面积"], 2)) or ""


def test_applying_is_one_transaction(
    app: Salesync, people: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cs_id = submit(app, tmp_path / "v1.xlsx").change_set_id or 0
    sign(app, cs_id, "senior")
    ensure_gm(app)
    with app.transaction() as session:
        entries_before = session.scalar(select(func.count()).select_from(WorkLogEntry))
    real, calls = LogWriter.append, []

    def failing(self: LogWriter, *args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) == 3:  # the GM's signature, the first table's seal, then the second table's
            raise RuntimeError("database went away mid-apply")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(LogWriter, "append", failing)
    with pytest.raises(RuntimeError):
        sign(app, cs_id, GM)
    monkeypatch.undo()
    assert live_rooms(app) == 0
    with app.transaction() as session:
        cs = session.get(ChangeSet, cs_id)
        assert cs is not None and cs.status == "待签" and len(cs.signatures) == 1
        assert session.scalar(select(func.count()).select_from(WorkLogEntry)) == entries_before
        assert verify(session).ok
    assert sign(app, cs_id, GM).status == "已生效"  # and it applies whole once retried
    assert live_rooms(app) == 8


# -- timeliness ----------------------------------------------------------------------------------------


def test_changes_applied_more_than_a_working_day_after_their_instruction_are_reported(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    late = submit(app, tmp_path / "v1.xlsx")  # instructed 2026-08-30
    sign_off(app, late)
    rows = repriced(master_rows(), 0, 33000)
    rows["变更说明"] = [{"指示日期": today(), "指示人": "陈刚", "说明": "调价"}]
    on_time = submit(app, tmp_path / "v2.xlsx", rows)
    sign_off(app, on_time)
    with app.transaction() as session:
        report = signing.late_changes(session)
        assert [(x.change_set_id, x.instructed_by) for x in report] == [(late.change_set_id, "陈刚")]
        assert report[0].deadline is not None and report[0].applied_at > report[0].deadline
        assert signing.late_changes(session, end=dt.date(2026, 1, 1)) == []


# -- the command line ---------------------------------------------------------------------------------


def test_changes_on_the_command_line(app: Salesync, people: dict[str, str], tmp_path: Path) -> None:
    ensure_gm(app)
    cs_id = submit(app, tmp_path / "v1.xlsx").change_set_id

    def run(*args: str, input: str | None = None) -> tuple[int, str]:
        db, data = app.config.database_url, str(app.config.data_dir)
        result = CliRunner().invoke(main, ["--db", db, "--data-dir", data, *args], input=input)
        return result.exit_code, result.output

    code, out = run("changes", "list")
    assert code == 0 and f"#{cs_id}" in out and "待 地区总经理、市场营销部高级经理 签字" in out
    code, out = run("changes", "list", "--for", "manager", "--json")
    assert json.loads(out) == []
    code, out = run("changes", "show", str(cs_id))
    assert code == 0 and "新增 房间" in out and "须签字：地区总经理、市场营销部高级经理" in out
    code, out = run("changes", "sign", str(cs_id), "--as", "senior")
    assert code == 2 and "--password-stdin" in out  # no terminal to prompt on
    code, out = run("changes", "sign", str(cs_id), "--as", "senior", "--password-stdin", input="nope\n")
    assert code == 4 and "密码不正确" in out
    code, out = run(
        "changes", "sign", str(cs_id), "--as", "senior", "--password-stdin", input=PASSWORD + "\n"
    )
    assert code == 0 and "还需 地区总经理 签字" in out
    code, out = run("changes", "sign", str(cs_id), "--as", GM, "--password-stdin", input=PASSWORD + "\n")
    assert code == 0 and "已生效：写入 16 行" in out
    code, out = run("changes", "show", str(cs_id), "--json")
    shown = json.loads(out)
    assert shown["status"] == "已生效" and [s["counts"] for s in shown["signatures"]] == [True, True]
    code, out = run("changes", "late", "--json")
    assert [x["change_set"] for x in json.loads(out)] == [cs_id]

    rows = repriced(master_rows(), 0, 33000)
    second = submit(app, tmp_path / "v2.xlsx", rows).change_set_id
    code, out = run(
        "changes",
        "reject",
        str(second),
        "--as",
        "senior",
        "--reason",
        "未附审批单",
        "--password-stdin",
        input=PASSWORD,
    )
    assert code == 0 and f"已驳回变更单 #{second}" in out
    code, out = run("changes", "list", "--all")
    assert "已驳回" in out and "已生效" in out
    assert run("audit", "verify")[0] == 0


def test_items_hold_every_field_old_and_new(app: Salesync, people: dict[str, str], tmp_path: Path) -> None:
    sign_off(app, submit(app, tmp_path / "v1.xlsx"))
    cs_id = submit(app, tmp_path / "v2.xlsx", repriced(master_rows(), 0, 33000)).change_set_id
    with app.transaction() as session:
        items = session.scalars(select(ChangeItem).where(ChangeItem.change_set_id == cs_id)).all()
        assert {(i.op, i.field, i.old, i.new) for i in items} >= {("change", "unit_price", "32000", "33000")}

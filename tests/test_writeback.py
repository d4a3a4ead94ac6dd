"""Feedback after ingest: beside the file always, inside it only when no office suite holds it."""

from __future__ import annotations

import hashlib
import random
import threading
from pathlib import Path

import fastexcel
from openpyxl import load_workbook
from openpyxl.drawing.image import Image
from PIL import Image as PillowImage

from sync.app import Salesync
from sync.pipeline.feedback import result_path
from sync.pipeline.outcome import Verdict
from sync.xlsx.stamp_write import read_stamp
from tests.test_xlsx_patch import raw_members, save
from tests.workbooks import customer_rows, edit, fill_template


def bad_workbook(tmp_path: Path) -> Path:
    rows = customer_rows(3)
    rows["客户"][1]["客户来源"] = "朋友介绍"
    return fill_template("customers", rows, tmp_path / "客户登记.xlsx")


def test_bad_rows_are_marked_inside_the_workbook(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    path = bad_workbook(tmp_path)
    outcome = app.ingest(path, "rep_a")
    assert outcome.verdict is Verdict.PARTIAL and outcome.seq == 1

    ws = load_workbook(path)["客户"]
    headers = [c.value for c in ws[1]]
    status = headers.index("同步状态") + 1
    assert ws.cell(2, status).value == "✓ 已同步 v1"
    assert str(ws.cell(3, status).value).startswith("✗ ")
    source = ws.cell(3, headers.index("客户来源") + 1)
    assert source.fill.fgColor.rgb == "FFFFC7CE" and source.comment is not None
    stamp = read_stamp(path.read_bytes())
    assert stamp is not None and stamp.accepted_version == 1

    problems = fastexcel.read_excel(result_path(path)).load_sheet("问题").to_pandas()
    assert problems[["工作表", "行号", "列", "代码"]].values.tolist() == [
        ["客户", 3, "客户来源", "choice"],
        ["客户事件", 3, "手机号码", "event-customer-rejected"],  # waits for its customer row
    ]

    # The annotated file as salesync wrote it is nothing new …
    assert app.ingest(path, "rep_a").verdict is Verdict.UNCHANGED
    # … and once the author fixes the row, the marks go away.
    edit(path, "客户", 3, "客户来源", "来访")
    fixed = app.ingest(path, "rep_a")
    assert fixed.verdict is Verdict.ACCEPTED and fixed.rows_written == 2  # the customer and its event
    ws = load_workbook(path)["客户"]
    assert ws.cell(3, status).value == "✓ 已同步 v2"
    assert ws.cell(3, headers.index("客户来源") + 1).comment is None


def test_a_workbook_open_in_excel_is_left_alone(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    path = bad_workbook(tmp_path)
    (tmp_path / f"~${path.name}").write_bytes(b"owner")
    before = path.read_bytes()
    outcome = app.ingest(path, "rep_a")
    assert outcome.verdict is Verdict.PARTIAL
    assert path.read_bytes() == before
    assert result_path(path).exists()


def test_a_picture_in_the_reps_workbook_survives_the_marks(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    """The rep pasted a picture beside their rows: ingest writes status, marks and stamp around it."""
    path = bad_workbook(tmp_path)
    png = tmp_path / "户型图.png"
    PillowImage.new("RGB", (60, 40), (20, 120, 200)).save(png)
    wb = load_workbook(path)
    wb["客户"].add_image(Image(png), "N2")
    wb.save(path)
    before = raw_members(path.read_bytes())

    assert app.ingest(path, "rep_a").verdict is Verdict.PARTIAL
    after = raw_members(path.read_bytes())
    media = [
        name for name in before if name.startswith("xl/media/") or name.startswith("xl/drawings/drawing")
    ]
    assert media and all(after[name] == before[name] for name in media)  # the picture, byte for byte
    ws = load_workbook(path)["客户"]
    assert len(ws._images) == 1  # type: ignore[attr-defined]
    assert "同步状态" in [c.value for c in ws[1]]


def test_a_save_during_the_write_back_is_kept_and_ingested(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    """Saves race the whole ingest and its write-back: the newest save always stays on disk, and
    ingesting it afterwards records it — never mistaken for salesync's own write."""
    path = tmp_path / "客户登记.xlsx"
    rng = random.Random(14)
    versions = []
    for n in range(21):
        rows = customer_rows(2 + n % 3)
        rows["客户"][0]["备注"] = f"第 {n} 次保存"
        versions.append(fill_template("customers", rows, tmp_path / f"v{n}.xlsx").read_bytes())
    path.write_bytes(versions[0])
    for n in range(1, 21):
        go = threading.Barrier(2)
        saver = threading.Thread(target=save, args=(path, versions[n], n % 2 == 0, rng.random() * 0.05, go))
        saver.start()
        go.wait()
        outcome = app.ingest(path, "rep_a")
        saver.join()
        newest = hashlib.sha256(versions[n]).hexdigest()
        if outcome.sha256 != newest:  # the ingest read the older save: the newer one must be untouched
            assert path.read_bytes() == versions[n], n
            assert app.ingest(path, "rep_a").sha256 == newest  # … and is a version of its own
        else:  # the ingest read the newest save: the file is that save, or salesync's write into it
            assert path.read_bytes() == versions[n] or app.ingest(path, "rep_a").verdict is Verdict.UNCHANGED


def test_a_collided_row_says_whose_customer_it_stays(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    assert app.ingest(
        fill_template("customers", customer_rows(2), tmp_path / "a" / "客户登记.xlsx"), "rep_a"
    ).seq
    rows = customer_rows(3, start=1)  # customer 1 is rep_a's; 2 and 3 are new
    path = fill_template("customers", rows, tmp_path / "b" / "客户登记.xlsx")
    outcome = app.ingest(path, "rep_b")
    assert outcome.verdict is Verdict.ACCEPTED and len(outcome.collisions) == 1

    ws = load_workbook(path)["客户"]
    status = [c.value for c in ws[1]].index("同步状态") + 1
    assert ws.cell(2, status).value == "⚠ 已同步 v1；撞单：客户归属 张丽（rep_a）"
    assert ws.cell(3, status).value == ws.cell(4, status).value == "✓ 已同步 v1"

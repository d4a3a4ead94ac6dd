"""Write-back touches only what it must: a corpus of real-looking workbooks through the part editor.

Each workbook is built in tmp_path (pictures, charts, notes, data validation, conditional formats,
defined names, extra sheets, one saved by LibreOffice), gets its status column, marks, notes and
stamp written in, and must come back with every other zip member byte for byte, every feature
still there, and LibreOffice able to open it. Without LibreOffice the tests that need it are
skipped on a developer's machine, and fail under CI (``CI=true``), where ``.ci/run`` installs it.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import shutil
import struct
import subprocess
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from PIL import Image as PillowImage

from sync.app import Salesync
from sync.pipeline.annotate import annotated
from sync.pipeline.feedback import ERROR_RGB, WARNING_RGB, annotate_workbook, result_path
from sync.pipeline.outcome import Outcome, RowStatus, Verdict
from sync.pipeline.writeback import stamp_file, write_back
from sync.xlsx.patch import Unsupported
from sync.xlsx.patch.book import Book
from sync.xlsx.patch.rels import rels_name
from sync.xlsx.patch.sheet import SheetEdit, patch_sheet
from sync.xlsx.stamp import STAMP_SHEET, Stamp
from sync.xlsx.stamp_write import read_stamp, write_stamp
from sync.xlsx.swap import observe
from validators.findings import Finding, Findings, Severity

STAMP = Stamp("customers", "1", "3f0c9a", 7, "2026-11-20T10:03:04+08:00")
PHONE_BAD = Finding("phone-invalid", "客户", 3, "手机号码", "1380013")
COLLISION = Finding(
    "collision",
    "客户",
    2,
    "手机号码",
    "13800000002",
    {"owner": "zhangsan", "owner_name": "张三"},
    Severity.WARNING,
)
# the status of the row that collided: synced, and whose customer it stays
COLLIDED = "⚠ 已同步 v7；撞单：客户归属 张三（zhangsan）"
DATA_ROWS = 10


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def soffice() -> str:
    found = shutil.which("soffice")
    if found:
        return found
    message = "LibreOffice is needed (Debian: apt-get install libreoffice-calc-nogui)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def run_soffice(args: list[str], workdir: Path) -> None:
    profile = workdir / "lo-profile"
    subprocess.run(
        [soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", *args],
        check=True,
        capture_output=True,
        timeout=600,
        cwd=workdir,
    )


# -- the corpus -----------------------------------------------------------------------------------


def customers_sheet(wb: Workbook) -> Worksheet:
    ws = wb.active
    assert isinstance(ws, Worksheet)
    ws.title = "客户"
    ws.append(["客户姓名*", "手机号码*", "客户来源*", "备注"])
    for n in range(2, DATA_ROWS + 2):
        ws.append([f"客户{n}", f"138{n:08d}", "来电", None])
    ws["A1"].font = Font(bold=True)
    ws.column_dimensions["A"].width = 16
    return ws


def add_stamp_sheet(wb: Workbook) -> None:
    stamp = wb.create_sheet(STAMP_SHEET)
    stamp.append(["template_id", "customers"])
    stamp.append(["template_version", "1"])
    stamp.sheet_state = "hidden"


def picture(tmp_path: Path) -> Path:
    png = tmp_path / "logo.png"
    PillowImage.new("RGB", (40, 20), (200, 30, 30)).save(png)
    return png


def build(tmp_path: Path, name: str, *features: str) -> Path:
    wb = Workbook()
    ws = customers_sheet(wb)
    if "picture" in features:
        ws.add_image(Image(picture(tmp_path)), "F2")
    if "chart" in features:
        stats = wb.create_sheet("统计")
        stats.append(["来源", "人数"])
        stats.append(["来电", 7])
        stats.append(["来访", 3])
        chart = BarChart()
        chart.add_data(Reference(stats, min_col=2, min_row=1, max_row=3), titles_from_data=True)
        stats.add_chart(chart, "D2")
        own = BarChart()
        own.add_data(Reference(stats, min_col=2, min_row=1, max_row=3), titles_from_data=True)
        ws.add_chart(own, "H2")
    if "comments" in features:
        ws["B2"].comment = Comment("老客户", "王经理")
        ws["D4"].comment = Comment("周末回访", "王经理")
        ws["C5"].comment = Comment("上一次的标记", "salesync")  # an earlier write's note …
        ws["C5"].fill = PatternFill("solid", fgColor=ERROR_RGB)  # … and fill
    if "validation" in features:
        sources = DataValidation(type="list", formula1='"来电,来访,网络"')
        sources.add("C2:C200")
        ws.add_data_validation(sources)
        ws.conditional_formatting.add(
            "A2:A100", CellIsRule(operator="equal", formula=['"客户3"'], font=Font(italic=True))
        )
    if "names" in features:
        wb.defined_names["客户名单"] = DefinedName("客户名单", attr_text="客户!$A$2:$A$11")
        notes = wb.create_sheet("备忘")
        notes.append(["本月目标", 30])
        notes.append(["已完成", "=COUNTA(客户!A2:A100)"])
    add_stamp_sheet(wb)
    path = tmp_path / f"{name}.xlsx"
    wb.save(path)
    return path


ALL = ("picture", "chart", "comments", "validation", "names")
CORPUS: dict[str, tuple[str, ...]] = {
    "plain": (),
    "picture": ("picture",),
    "chart": ("chart",),
    "comments": ("comments",),
    "validation": ("validation",),
    "names": ("names",),
    "everything": ALL,
}


def libreoffice_saved(tmp_path: Path) -> Path:
    """The everything-workbook as LibreOffice saves it (its own comments, drawings and styles)."""
    (tmp_path / "lo-src").mkdir()
    source = build(tmp_path / "lo-src", "来源", *ALL)
    out = tmp_path / "lo-out"
    run_soffice(["--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(source)], tmp_path)
    path = tmp_path / "libreoffice.xlsx"
    (out / "来源.xlsx").rename(path)
    return path


def outcome_for(path: Path) -> Outcome:
    return Outcome(
        path=str(path),
        account="lisi",
        verdict=Verdict.PARTIAL,
        kind="customers",
        seq=7,
        rows_total=DATA_ROWS,
        findings=Findings([COLLISION, PHONE_BAD]),
        rows=[
            RowStatus("客户", n, n != 3, "" if n != 3 else PHONE_BAD.message())
            for n in range(2, DATA_ROWS + 2)
        ],
    )


# -- looking at zips ------------------------------------------------------------------------------

_LOCAL = struct.Struct("<4s5H3L2H")


def raw_members(data: bytes) -> dict[str, tuple[int, int, bytes]]:
    """Each member's method, CRC and stored (compressed) bytes, in archive order."""
    out: dict[str, tuple[int, int, bytes]] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        for info in archive.infolist():
            *_, name_len, extra_len = _LOCAL.unpack_from(data, info.header_offset)
            begin = info.header_offset + _LOCAL.size + name_len + extra_len
            out[info.filename] = (info.compress_type, info.CRC, data[begin : begin + info.compress_size])
    return out


def allowed_parts(data: bytes) -> set[str]:
    """The members a write-back into 客户 may change: its sheet, notes, rels; styles; types; stamp."""
    book = Book(data)
    sheet, stamp = book.sheet("客户"), book.sheet(STAMP_SHEET)
    assert sheet is not None and stamp is not None
    allowed = {sheet.part, rels_name(sheet.part), book.styles_part, "[Content_Types].xml", stamp.part}
    rels = book._rels(sheet.part)
    allowed |= {r.target for r in rels.items if r.type.endswith(("/comments", "/vmlDrawing"))}
    return allowed


def features(data: bytes) -> dict[str, object]:
    wb = load_workbook(io.BytesIO(data))
    found: dict[str, object] = {"sheets": wb.sheetnames, "names": sorted(wb.defined_names)}
    for ws in wb.worksheets:
        found[ws.title] = {
            "images": len(ws._images),  # type: ignore[attr-defined]
            "charts": len(ws._charts),  # type: ignore[attr-defined]
            "validation": sorted(str(dv.sqref) for dv in ws.data_validations.dataValidation),
            "conditional": sorted(str(cf.sqref) for cf in ws.conditional_formatting),
            "notes": sorted(
                (c.coordinate, c.comment.author)
                for row in ws.iter_rows()
                for c in row
                if c.comment is not None
            ),
        }
    return found


def check_written(before: bytes, after: bytes) -> None:
    old, new = raw_members(before), raw_members(after)
    assert list(new)[: len(old)] == list(old)  # same order, new members only after the last one
    changed = {name for name in old if old[name] != new[name]}
    assert changed <= allowed_parts(after), changed
    added = set(new) - set(old)
    assert all(n.startswith(("xl/comments/", "xl/drawings/", "xl/worksheets/_rels/")) for n in added), added


# -- the corpus through write-back ----------------------------------------------------------------


def write_into(path: Path) -> tuple[bytes, bytes]:
    before = path.read_bytes()
    written = annotate_workbook(path, outcome_for(path), expected_sha256=sha256(before), stamp=STAMP)
    after = path.read_bytes()
    assert written == sha256(after)
    return before, after


def check_marks(before: bytes, after: bytes) -> None:
    ws = load_workbook(io.BytesIO(after))["客户"]
    status = [c.value for c in ws[1]].index("同步状态") + 1
    assert ws.cell(1, status).value == "同步状态"
    assert ws.cell(2, status).value == COLLIDED
    assert ws.cell(3, status).value == "✗ " + PHONE_BAD.message()
    bad, collided = ws["B3"], ws["B2"]
    assert (bad.fill.fill_type, bad.fill.fgColor.rgb) == ("solid", ERROR_RGB)
    assert bad.comment is not None and (bad.comment.author, bad.comment.text) == (
        "salesync",
        PHONE_BAD.message(),
    )
    assert collided.fill.fgColor.rgb == WARNING_RGB
    old = load_workbook(io.BytesIO(before))["客户"]
    users = old["B2"].comment
    if users is not None:  # the user's note stays (LibreOffice keeps no authors: theirs is blank)
        assert collided.comment is not None
        assert (collided.comment.author, collided.comment.text) == (users.author, users.text)
    else:
        assert collided.comment is not None and collided.comment.author == "salesync"
    if old["C5"].comment is not None and old["C5"].comment.author == "salesync":  # an earlier mark goes
        assert ws["C5"].comment is None and ws["C5"].fill.fill_type is None
    assert read_stamp(after) == STAMP


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_other_part_is_copied_byte_for_byte(tmp_path: Path, name: str) -> None:
    path = build(tmp_path, name, *CORPUS[name])
    before, after = write_into(path)
    check_written(before, after)
    check_marks(before, after)
    old, new = features(before), features(after)
    expected_notes = {
        ("B3", "salesync"),
        *(n for n in old["客户"]["notes"] if n[1] != "salesync"),  # type: ignore[index]
    }
    if ("B2", "王经理") not in expected_notes:
        expected_notes.add(("B2", "salesync"))
    assert set(new["客户"]["notes"]) == expected_notes  # type: ignore[index]
    for key in ("sheets", "names"):
        assert new[key] == old[key]
    for sheet in old["sheets"]:  # type: ignore[attr-defined]
        assert {k: v for k, v in new[sheet].items() if k != "notes"} == {  # type: ignore[attr-defined]
            k: v
            for k, v in old[sheet].items()  # type: ignore[attr-defined]
            if k != "notes"
        }


def test_a_second_write_back_replaces_its_own_marks(tmp_path: Path) -> None:
    path = build(tmp_path, "twice", *ALL)
    write_into(path)
    fixed = outcome_for(path)
    fixed.findings = Findings([COLLISION])
    fixed.rows = [RowStatus("客户", n, True) for n in range(2, DATA_ROWS + 2)]
    before = path.read_bytes()
    assert annotate_workbook(path, fixed, expected_sha256=sha256(before)) == sha256(path.read_bytes())
    check_written(before, path.read_bytes())
    ws = load_workbook(path)["客户"]
    assert ws["B3"].comment is None and ws["B3"].fill.fill_type is None
    assert ws["B2"].fill.fgColor.rgb == WARNING_RGB and ws["B2"].comment.author == "王经理"
    assert [c.value for c in ws["E"]][1:3] == [COLLIDED, "✓ 已同步 v7"]
    assert len(ws._images) == 1 and len(ws._charts) == 1  # type: ignore[attr-defined]


def test_a_workbook_saved_by_libreoffice(tmp_path: Path) -> None:
    path = libreoffice_saved(tmp_path)
    before, after = write_into(path)
    check_written(before, after)
    check_marks(before, after)
    old, new = features(before), features(after)
    assert new["sheets"] == old["sheets"] and new["names"] == old["names"]
    assert new["客户"]["images"] == old["客户"]["images"] == 1  # type: ignore[index]


def test_libreoffice_opens_every_workbook_written(tmp_path: Path) -> None:
    soffice()
    written = []
    for name, wanted in CORPUS.items():
        path = build(tmp_path, name, *wanted)
        write_into(path)
        written.append(path)
    out = tmp_path / "csv"
    run_soffice(
        [
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            str(out),
            *map(str, written),
        ],
        tmp_path,
    )
    for path in written:
        text = (out / f"{path.stem}.csv").read_text(encoding="utf-8")
        assert "同步状态" in text and "已同步 v7" in text, path.name


def test_a_stamped_workbook_opens_in_libreoffice(tmp_path: Path) -> None:
    """The stamp alone, written into the everything-workbook: LibreOffice prints it."""
    soffice()
    path = build(tmp_path, "stamped", *ALL)
    assert stamp_file(path, sha256(path.read_bytes()), STAMP) is not None
    out = tmp_path / "pdf"
    run_soffice(["--convert-to", "pdf", "--outdir", str(out), str(path)], tmp_path)
    assert (out / "stamped.pdf").stat().st_size > 0


# -- what the writer refuses ----------------------------------------------------------------------


def with_member(data: bytes, name: str, edit: Callable[[bytes], bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            dst.writestr(info, edit(body) if info.filename == name else body)
    return out.getvalue()


def shared_formula_workbook(tmp_path: Path) -> Path:
    wb = Workbook()
    ws = customers_sheet(wb)
    ws["E1"] = "同步状态"
    ws["E2"] = "=A2"
    ws["E3"] = "=A3"
    add_stamp_sheet(wb)
    path = tmp_path / "共享公式.xlsx"
    wb.save(path)
    data = with_member(
        path.read_bytes(),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"<f>A2</f>", b'<f t="shared" ref="E2:E3" si="0">A2</f>').replace(
            b"<f>A3</f>", b'<f t="shared" si="0"/>'
        ),
    )
    path.write_bytes(data)
    return path


def test_a_shared_formula_in_the_status_column_is_refused(tmp_path: Path) -> None:
    path = shared_formula_workbook(tmp_path)
    with pytest.raises(Unsupported, match="共享或数组公式"):
        annotated(path.read_bytes(), outcome_for(path), STAMP)


def test_strict_open_xml_is_refused(tmp_path: Path) -> None:
    path = build(tmp_path, "strict")
    data = with_member(
        path.read_bytes(),
        "xl/workbook.xml",
        lambda xml: xml.replace(
            b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
            b"http://purl.oclc.org/ooxml/spreadsheetml/main",
        ),
    )
    with pytest.raises(Unsupported, match="Strict"):
        annotated(data, outcome_for(path), STAMP)


def test_a_refused_workbook_is_left_alone_and_its_result_workbook_says_why(
    app: Salesync, tmp_path: Path
) -> None:
    path = shared_formula_workbook(tmp_path)
    before = path.read_bytes()
    outcome = outcome_for(path)
    outcome.sha256 = sha256(before)
    assert write_back(app, path, before, outcome, STAMP, annotate=True) is None
    assert path.read_bytes() == before
    problems = list(load_workbook(result_path(path))["问题"].iter_rows(values_only=True))
    notice = [row for row in problems if row[5] == "writeback-unsupported"]
    assert len(notice) == 1
    assert "未在工作簿中写入" in str(notice[0][6]) and "共享或数组公式" in str(notice[0][6])


# -- cost bounded by the data ---------------------------------------------------------------------


def far_workbook(tmp_path: Path, *, far: bool) -> bytes:
    """300 data rows; with ``far``, one formatted cell at XFD1048576 and whole columns formatted."""
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)
    ws.title = "客户"
    ws.append(["客户姓名*", "手机号码*", "客户来源*", "备注"])
    for n in range(2, 302):
        ws.append([f"客户{n}", f"138{n:08d}", "来电", None])
    if far:
        ws.cell(1_048_576, 16_384).fill = PatternFill("solid", fgColor="FFDDEEFF")
        ws.column_dimensions.group("E", "XFD", hidden=False)
        ws.column_dimensions["E"].width = 12
    add_stamp_sheet(wb)
    path = tmp_path / f"far-{far}.xlsx"
    wb.save(path)
    return path.read_bytes()


def test_a_used_range_to_the_last_cell_costs_what_the_data_costs(tmp_path: Path) -> None:
    counts = {}
    statuses = {(n, 5): "✓" for n in range(2, 302)}
    for far in (False, True):
        data = far_workbook(tmp_path, far=far)
        book = Book(data)
        sheet = book.sheet("客户")
        assert sheet is not None
        xml = book.package.read(sheet.part)
        if far:
            assert b"XFD1048576" in xml
        done = patch_sheet(
            xml, sheet.part, lambda header: SheetEdit(texts=dict(statuses), clear_column=5), book.strings
        )
        counts[far] = (done.rows_seen, done.cells_seen)
        marks_only = patch_sheet(  # a few marks and no other style to change: only their rows are parsed
            xml,
            sheet.part,
            lambda header: SheetEdit(create={(5, 2), (9, 3)}, restyled=frozenset()),
            book.strings,
        )
        assert (marks_only.rows_seen, marks_only.cells_seen) == (301 + far, 3 * 3 + 1)
        out = annotated(data, Outcome(path="x", account="a", verdict=Verdict.ACCEPTED, seq=1,
                                      rows=[RowStatus("客户", n, True) for n in range(2, 302)]))  # fmt: skip
        ws = load_workbook(io.BytesIO(out), read_only=True)["客户"]
        assert ws.cell(301, 5).value == "✓ 已同步 v1"
    rows, cells = counts[False]
    assert counts[False] == (301, 301 * 3 + 1)  # every data row, each of its cells, once
    assert counts[True] == (rows + 1, cells + 1)  # the far cell is one more cell, not a grid


# -- never overwrite a newer save -----------------------------------------------------------------


def save(path: Path, content: bytes, in_place: bool, delay: float, go: threading.Barrier) -> None:
    """A user's save, started together with the write-back and landing ``delay`` seconds later."""
    go.wait()
    threading.Event().wait(delay)
    if in_place:  # a program that truncates the file and writes it where it is
        with open(path, "wb") as fh:
            fh.write(content)
    else:  # Excel's way: a temp file, then a rename over the original
        tmp = path.with_name(f"~{os.getpid()}-{threading.get_ident()}.tmp")
        tmp.write_bytes(content)
        os.replace(tmp, path)


def test_saves_racing_the_write_back_are_never_lost(tmp_path: Path) -> None:
    """Hundreds of times: a save lands while the stamp is written; the newest save always stays."""
    base = build(tmp_path, "base").read_bytes()
    path = tmp_path / "客户登记.xlsx"
    rng = random.Random(19)
    saves = [write_stamp(base, Stamp("customers", "1", accepted_at=f"save {n}")) for n in range(301)]
    written = lost = 0
    for trial in range(300):
        ingested, newer = saves[trial], saves[trial + 1]
        path.write_bytes(ingested)
        in_place = trial % 2 == 1
        delay = rng.random() * 0.004
        go = threading.Barrier(2)

        saver = threading.Thread(target=save, args=(path, newer, in_place, delay, go))
        saver.start()
        go.wait()
        digest = stamp_file(path, sha256(ingested), STAMP)
        saver.join()
        written += digest is not None
        if path.read_bytes() != newer:
            lost += 1
    assert lost == 0
    assert written > 0  # some write-backs won the race outright (and were then saved over)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".~salesync-")) == []


def test_a_file_saved_since_it_was_read_is_not_written(tmp_path: Path) -> None:
    path = build(tmp_path, "saved-again")
    seen = observe(path)
    assert seen is not None
    path.write_bytes(write_stamp(seen.data, Stamp("customers", "1", accepted_at="newer")))
    newer = path.read_bytes()
    assert stamp_file(path, seen.state.sha256, STAMP) is None
    assert annotate_workbook(path, outcome_for(path), expected_sha256=seen.state.sha256) is None
    assert path.read_bytes() == newer


def test_the_row_scan_and_the_full_walk_write_the_same(tmp_path: Path) -> None:
    """A part with an XML comment is walked element by element; the edits are the same bytes."""
    data = build(tmp_path, "both", *ALL).read_bytes()
    book = Book(data)
    sheet = book.sheet("客户")
    assert sheet is not None
    plain = book.package.read(sheet.part)
    marker = b"<!-- kept -->"
    at = plain.index(b"<sheetData>") + len(b"<sheetData>")
    commented = plain[:at] + marker + plain[at:]

    def edit(header: object) -> SheetEdit:
        return SheetEdit(
            texts={(1, 5): "同步状态", (3, 5): "✗", (40, 5): "✓"},
            clear_column=5,
            create={(3, 2), (12, 9)},
            restyle=lambda cell, xf: 99 if cell == (3, 2) or xf == 1 else xf,
            restyled=frozenset({1}),
        )

    fast = patch_sheet(plain, sheet.part, edit, book.strings)
    full = patch_sheet(commented, sheet.part, edit, book.strings)
    assert fast.cells_seen < full.cells_seen  # rows with nothing to do were not parsed cell by cell
    assert full.content().replace(marker, b"") == fast.content()


def test_a_notes_drawing_that_is_not_xml_is_refused(tmp_path: Path) -> None:
    path = build(tmp_path, "vml", "comments")
    vml = next(n for n in zipfile.ZipFile(path).namelist() if n.endswith(".vml"))
    data = with_member(path.read_bytes(), vml, lambda xml: xml.replace(b"</xml>", b"<br></xml>"))
    with pytest.raises(Unsupported, match="批注绘图"):
        annotated(data, outcome_for(path), STAMP)


def test_a_note_can_replace_the_one_on_its_cell(tmp_path: Path) -> None:
    """The reconciliation copy writes its note over whatever note the cell had (as it always did)."""
    data = build(tmp_path, "replace", "comments").read_bytes()
    book = Book(data)
    sheet = book.sheet("客户")
    assert sheet is not None
    edited = book.edit_sheet(sheet, lambda header: SheetEdit(restyled=frozenset()))
    book.set_notes(sheet, edited, "salesync", {(2, 2): "系统为：13800000009"}, remove_own=False, replace=True)
    out = book.save({sheet.part: edited.content()})
    ws = load_workbook(io.BytesIO(out))["客户"]
    assert (ws["B2"].comment.author, ws["B2"].comment.text) == ("salesync", "系统为：13800000009")
    assert ws["D4"].comment.author == "王经理" and ws["C5"].comment.author == "salesync"
    vml = next(body for name, body in raw_members_content(out).items() if name.endswith(".vml"))
    assert (
        vml.count(b"<x:Row>1</x:Row><x:Column>1</x:Column>")
        + vml.count(b"<ns2:Row>1</ns2:Row><ns2:Column>1</ns2:Column>")
        == 1
    )  # one shape for B2: the old one went with its note


def raw_members_content(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}

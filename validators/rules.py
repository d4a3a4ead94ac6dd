"""Cross-row, cross-sheet and cross-database rules of docs/domain.md §2.1–§2.2 and §3.

Each rule takes the prepared sheets of one workbook (by entity) and read-only lookups, and yields
findings; a kind names the rules that apply to it. Rows that already failed a cell check are
skipped here: one wrong cell should not echo as three findings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from schema.spec import Lookups, Rule
from validators.findings import Finding, Severity, display
from validators.frames import Prepared
from validators.names import code_ok

Book = Mapping[str, Prepared]

AREA_TOLERANCE = 0.01
PRICE_TOLERANCE = 1.0
EPS = 1e-6


def _clean(book: Book, entity: str) -> pd.DataFrame:
    """The typed rows of a sheet that passed their cell checks (empty if the sheet is absent)."""
    prepared = book.get(entity)
    if prepared is None:
        return pd.DataFrame()
    bad = prepared.bad_rows()
    frame = prepared.frame
    return frame[~frame.index.isin(list(bad))] if bad else frame


def _keyed(book: Book, entity: str, key: str) -> pd.DataFrame:
    """The typed rows of a sheet whose ``key`` could be read, whatever their other cells (a rule
    about the key then reports in the same pass as the cell checks)."""
    prepared = book.get(entity)
    if prepared is None or key not in prepared.frame:
        return pd.DataFrame()
    frame = prepared.frame
    return frame[frame[key].notna().to_numpy(dtype=bool)]


def _at(book: Book, entity: str, row: Any, field: str, code: str, **params: object) -> Finding:
    prepared = book[entity]
    col = prepared.sheet.column(field)
    if field in prepared.raw:
        value = prepared.raw.at[row, field]
    else:  # the typed value once the ingest has let go of the strings as read
        value = prepared.frame.at[row, field] if field in prepared.frame else None
    return Finding(code, prepared.sheet.name, int(row), col.header, display(value), dict(params))


def _fmt(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".") if abs(x - round(x)) > EPS else f"{round(x):,}"


# -- project master data ---------------------------------------------------------------------------


def _project_bases(book: Book, lookups: Lookups, codes: Iterable[str]) -> dict[str, str]:
    projects = _clean(book, "project")
    bases = dict(lookups.project_pricing_basis(codes))
    if not projects.empty:
        bases.update(zip(projects["code"], projects["pricing_basis"], strict=True))
    return bases


def known_regions(book: Book, lookups: Lookups) -> Iterator[Finding]:
    projects = _clean(book, "project")
    if projects.empty:
        return
    regions = lookups.region_codes()
    for row, code in projects["region_code"].items():
        if code not in regions:
            yield _at(book, "project", row, "region_code", "unknown-region")


def safe_project_codes(book: Book, lookups: Lookups) -> Iterator[Finding]:
    """项目编码 names folders, links and files: only the safe set (``validators.names``)."""
    projects = _clean(book, "project")
    if projects.empty:
        return
    for row, code in projects["code"].items():
        if isinstance(code, str) and not code_ok(code):
            yield _at(book, "project", row, "code", "code-unsafe")


def area_sum(book: Book, lookups: Lookups) -> Iterator[Finding]:
    """建筑面积 = 套内建筑面积 + 公摊面积 (±0.01 m²)."""
    rooms = _clean(book, "room")
    if rooms.empty:
        return
    gross, inner, shared = (rooms[c].astype("float64") for c in ("area_gross", "area_inner", "area_shared"))
    diff = gross - (inner + shared)
    for row in rooms.index[(diff.abs() > AREA_TOLERANCE + EPS).to_numpy()]:
        yield _at(
            book,
            "room",
            int(row),
            "area_gross",
            "area-sum",
            inner=_fmt(inner[row]),
            shared=_fmt(shared[row]),
            diff=_fmt(diff[row]),
        )


def total_price_by_basis(book: Book, lookups: Lookups) -> Iterator[Finding]:
    """总价 = 单价 × the project's pricing area (±1 CNY); 按套 pricing leaves 单价 informational.

    A room whose areas don't add up is reported once, by ``area_sum``, not again here.
    """
    rooms = _clean(book, "room")
    if rooms.empty:
        return
    bases = _project_bases(book, lookups, set(rooms["project_code"].dropna()))
    basis = rooms["project_code"].map(bases)
    area = np.where(
        basis == "套内面积", rooms["area_inner"].astype("float64"), rooms["area_gross"].astype("float64")
    )
    expected = rooms["unit_price"].astype("float64").to_numpy() * area
    total = rooms["total_price"].astype("float64").to_numpy()
    gross_off = (
        rooms["area_gross"] - rooms["area_inner"] - rooms["area_shared"]
    ).abs() > AREA_TOLERANCE + EPS
    checked = basis.isin(["建筑面积", "套内面积"]).to_numpy() & ~gross_off.fillna(False).to_numpy(dtype=bool)
    off = checked & (np.abs(total - expected) > PRICE_TOLERANCE + EPS)
    for i in np.flatnonzero(off):
        row = rooms.index[int(i)]
        yield _at(
            book,
            "room",
            row,
            "total_price",
            "total-price",
            unit_price=_fmt(rooms["unit_price"].iloc[i]),
            basis=basis.iloc[i],
            area=_fmt(area[i]),
            expected=_fmt(expected[i]),
            diff=_fmt(total[i] - expected[i]),
        )


def floor_within_building(book: Book, lookups: Lookups) -> Iterator[Finding]:
    """楼层 between 1 and the building's 地上层数."""
    rooms = _clean(book, "room")
    if rooms.empty:
        return
    keys = set(zip(rooms["project_code"], rooms["building_code"], strict=True))
    floors = dict(lookups.building_floors(keys))
    buildings = _clean(book, "building")
    if not buildings.empty:
        floors.update(
            zip(
                zip(buildings["project_code"], buildings["code"], strict=True),
                buildings["floors"],
                strict=True,
            )
        )
    for row, project, building, floor in zip(
        rooms.index, rooms["project_code"], rooms["building_code"], rooms["floor"], strict=True
    ):
        top = floors.get((project, building))
        if top is not None and not 1 <= floor <= top:
            yield _at(book, "room", row, "floor", "floor-range", building=building, floors=int(top))


def plan_lines(book: Book, lookups: Lookups) -> Iterator[Finding]:
    """Each line has exactly one of 比例/金额; each plan's 比例 lines sum to 1; each plan has lines."""
    lines = _clean(book, "payment_plan_line")
    plans = _clean(book, "payment_plan")
    if not lines.empty:
        has_ratio, has_amount = lines["ratio"].notna(), lines["amount"].notna()
        for row in lines.index[(has_ratio == has_amount).to_numpy()]:
            yield _at(book, "payment_plan_line", row, "ratio", "plan-line-amount")
        for plan, group in lines[has_ratio].groupby("plan_code", sort=False):
            total = float(group["ratio"].astype("float64").sum())
            if abs(total - 1.0) > EPS:
                sheet = book["payment_plan_line"].sheet
                yield Finding(
                    "plan-ratio-sum",
                    sheet.name,
                    int(group.index[-1]),
                    sheet.header("ratio"),
                    str(plan),
                    {"total": f"{total:g}"},
                )
    if not plans.empty:
        covered = set(lines["plan_code"]) if not lines.empty else set()
        all_lines = book["payment_plan_line"].frame if "payment_plan_line" in book else pd.DataFrame()
        covered |= set(all_lines["plan_code"].dropna()) if not all_lines.empty else set()
        for row, plan in plans["code"].items():
            if plan not in covered:
                yield _at(book, "payment_plan", row, "code", "plan-no-lines")


def master_references(book: Book, lookups: Lookups) -> Iterator[Finding]:
    """Codes point at projects, buildings and plans that exist (in this workbook or the database)."""
    projects = set(_clean(book, "project").get("code", pd.Series(dtype=object)))
    all_projects = book["project"].frame["code"] if "project" in book else pd.Series(dtype=object)
    referenced: set[str] = set()
    for entity in ("building", "room", "payment_plan", "discount"):
        frame = _clean(book, entity)
        if not frame.empty:
            referenced |= set(frame["project_code"].dropna())
    known = projects | set(all_projects.dropna()) | set(lookups.project_pricing_basis(referenced - projects))
    for entity in ("building", "room", "payment_plan", "discount"):
        frame = _clean(book, entity)
        for row in frame.index[~frame["project_code"].isin(known).to_numpy()] if not frame.empty else []:
            yield _at(book, entity, row, "project_code", "unknown-project")

    rooms = _clean(book, "room")
    if not rooms.empty:
        buildings = book["building"].frame if "building" in book else pd.DataFrame()
        here = (
            set(zip(buildings["project_code"], buildings["code"], strict=True))
            if not buildings.empty
            else set()
        )
        keys = set(zip(rooms["project_code"], rooms["building_code"], strict=True))
        there = set(lookups.building_floors(keys - here))
        for row, project, building in zip(
            rooms.index, rooms["project_code"], rooms["building_code"], strict=True
        ):
            if project in known and (project, building) not in here | there:
                yield _at(book, "room", row, "building_code", "unknown-building", project=project)
        owners = lookups.room_projects(set(rooms["code"]))
        for row, code, project in zip(rooms.index, rooms["code"], rooms["project_code"], strict=True):
            if code in owners and owners[code] != project:
                yield _at(book, "room", row, "code", "room-code-taken", project=owners[code])

    for entity, lookup in (("payment_plan", lookups.plan_projects), ("discount", lookups.discount_projects)):
        frame = _clean(book, entity)
        if frame.empty:
            continue
        owners = lookup(set(frame["code"]))
        for row, code, project in zip(frame.index, frame["code"], frame["project_code"], strict=True):
            if code in owners and owners[code] != project:
                yield _at(book, entity, row, "code", "code-taken", project=owners[code])

    lines = _clean(book, "payment_plan_line")
    if not lines.empty:
        plans = set(book["payment_plan"].frame["code"].dropna()) if "payment_plan" in book else set()
        plans |= set(lookups.plan_projects(set(lines["plan_code"]) - plans))
        for row in lines.index[~lines["plan_code"].isin(plans).to_numpy()]:
            yield _at(book, "payment_plan_line", row, "plan_code", "unknown-plan")


def date_ranges(book: Book, lookups: Lookups) -> Iterator[Finding]:
    """有效止 is not before 有效起."""
    for entity in ("payment_plan", "discount"):
        frame = _clean(book, entity)
        if frame.empty:
            continue
        backwards = (frame["valid_to"] < frame["valid_from"]).fillna(False).to_numpy(dtype=bool)
        for row in frame.index[backwards]:
            yield _at(book, entity, row, "valid_to", "date-order", other="有效起")


def discount_values(book: Book, lookups: Lookups) -> Iterator[Finding]:
    """A 比例 discount is a factor in (0, 1]: 0.98 means 2% off."""
    frame = _clean(book, "discount")
    if frame.empty:
        return
    ratio = (frame["kind"] == "比例").fillna(False).to_numpy(dtype=bool)
    out_of_range = ratio & (frame["value"].astype("float64") > 1).to_numpy()
    for row in frame.index[out_of_range]:
        yield _at(book, "discount", row, "value", "discount-ratio")


# -- customers ------------------------------------------------------------------------------------------


def _phone_array(series: pd.Series) -> pa.Array:
    arr = pa.array(series, type=pa.string(), from_pandas=True)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _unique(phones: pa.Array) -> pa.Array:
    return pc.unique(pc.drop_null(phones))


def _listed(phones: pa.Array, values: pa.Array) -> np.ndarray:
    """Which phones are among ``values`` (a missing phone never is)."""
    return np.asarray(pc.fill_null(pc.is_in(phones, value_set=values), False), dtype=bool)


def _rows_not_listed(
    frame: pd.DataFrame, phones: pa.Array, values: pa.Array, lookup: Callable[[set[str]], set[str]]
) -> pd.Index:
    """The rows whose phone is neither among ``values`` nor among what ``lookup`` finds for the
    others (the database is asked only about phones the workbook does not settle)."""
    listed = _listed(phones, values)
    if listed.all():
        return frame.index[:0]
    others = set(_unique(phones.filter(pa.array(~listed))).to_pylist())
    found = lookup(others) if others else set()
    if found:
        listed |= _listed(phones, pa.array(sorted(found), pa.string()))
    return frame.index[~listed]


def new_customer_has_first_event(first_events: Sequence[str]) -> Rule:
    """A customer the system has never seen needs one of ``first_events`` (the kind's 首次来电 /
    首次来访) in the same workbook."""
    opening_kinds = list(first_events)

    def rule(book: Book, lookups: Lookups) -> Iterator[Finding]:
        # every row whose phone could be read, even if another of its cells is bad: the author learns
        # of a missing first event in the same pass as the bad cell, not after fixing it
        customers = _keyed(book, "customer", "phone")
        if customers.empty:
            return
        events = _keyed(book, "customer_event", "phone")
        if events.empty:
            first = pa.array([], pa.string())
        else:
            opening = events["kind"].isin(opening_kinds).to_numpy(dtype=bool, na_value=False)
            first = _unique(_phone_array(events.loc[opening, "phone"]))
        phones = _phone_array(customers["phone"])
        for row in _rows_not_listed(customers, phones, first, lookups.known_phones):
            yield _at(book, "customer", row, "phone", "customer-needs-event")

    return rule


def events_have_customer(book: Book, lookups: Lookups) -> Iterator[Finding]:
    """Events and questionnaires name a customer of this workbook or one the author already owns."""
    customers = book.get("customer")
    listed = (
        _unique(_phone_array(customers.frame["phone"]))
        if customers is not None
        else pa.array([], pa.string())
    )
    for entity in ("customer_event", "questionnaire"):
        frame = _clean(book, entity)
        if frame.empty:
            continue
        phones = _phone_array(frame["phone"])
        for row in _rows_not_listed(frame, phones, listed, lookups.owned_phones):
            yield _at(book, entity, row, "phone", "event-unknown-customer")


# -- deals and money (§2.3–§2.5) ----------------------------------------------------------------------


def hold_needs_date(book: Book, lookups: Lookups) -> Iterator[Finding]:
    """A 保留 names its 保留至, not before its 操作日期."""
    frame = _clean(book, "room_control")
    if frame.empty:
        return
    hold = (frame["action"] == "保留").fillna(False).to_numpy(dtype=bool)
    missing = hold & frame["hold_until"].isna().to_numpy(dtype=bool)
    for row in frame.index[missing]:
        yield _at(book, "room_control", row, "hold_until", "hold-until-required")
    backwards = hold & (frame["hold_until"] < frame["op_date"]).fillna(False).to_numpy(dtype=bool)
    for row in frame.index[backwards]:
        yield _at(book, "room_control", row, "hold_until", "date-order", other="操作日期")


SPECIAL_REQUIRED = {
    "换房": ("new_room_code", "new_total_price"),
    "更名": ("new_customer_name", "new_customer_phone"),
    "变更付款方案": ("new_plan_code",),
    "变更折扣": ("new_total_price",),
    "退房": (),
}


def special_transaction_fields(book: Book, lookups: Lookups) -> Iterator[Finding]:
    """Each 事务类型 names what it changes: 换房 the new room and price, 更名 the new buyer, …"""
    frame = _clean(book, "special_transaction")
    if frame.empty:
        return
    for kind, fields in SPECIAL_REQUIRED.items():
        of_kind = (frame["kind"] == kind).fillna(False).to_numpy(dtype=bool)
        for field in fields:
            for row in frame.index[of_kind & frame[field].isna().to_numpy(dtype=bool)]:
                yield _at(book, "special_transaction", row, field, "special-field-required", kind=kind)


def deal_prices(book: Book, lookups: Lookups) -> Iterator[Finding]:
    """成交总价 = 成交单价 × 成交面积 (±1 CNY) on area pricing, likewise for contracts; 定金 ≤ 成交总价."""
    subs = _clean(book, "subscription")
    rooms = set(subs["room_code"].dropna()) if not subs.empty else set()
    projects = dict(lookups.room_projects(rooms))
    bases = dict(lookups.project_pricing_basis(set(projects.values())))
    for entity in ("subscription", "contract"):
        frame = _clean(book, entity)
        if frame.empty:
            continue
        if entity == "subscription":
            basis = frame["room_code"].map(lambda r: bases.get(projects.get(r, ""), "建筑面积"))
            checked = (basis != "按套").to_numpy(dtype=bool)
        else:
            checked = np.ones(len(frame), dtype=bool)
        product = frame["unit_price"].astype("float64") * frame["area"].astype("float64")
        total = frame["total_price"].astype("float64")
        off = checked & ((product - total).abs() > PRICE_TOLERANCE + EPS).to_numpy(dtype=bool)
        for i in np.flatnonzero(off):
            row = frame.index[int(i)]
            yield _at(
                book, entity, row, "total_price", "deal-price-product", expected=_fmt(product.iloc[int(i)])
            )
    if not subs.empty:
        deposit, total_price = subs["deposit"].astype("float64"), subs["total_price"].astype("float64")
        over = (deposit > total_price).to_numpy(dtype=bool)
        for row in subs.index[over]:
            yield _at(book, "subscription", row, "deposit", "deposit-exceeds-price")


def receipt_signs(book: Book, lookups: Lookups) -> Iterator[Finding]:
    """Receipts are positive; a 红冲 (naming 红冲票据编号) and a 退款 are negative; a 面积补差款 may be
    either (negative: the developer refunds a smaller area); nothing is zero."""
    frame = _clean(book, "receipt")
    if frame.empty:
        return
    amount = frame["amount"].astype("float64")
    reversal = frame["reverses_no"].notna().to_numpy(dtype=bool)
    refund = (frame["category"] == "退款").fillna(False).to_numpy(dtype=bool)
    negative = (amount < 0).to_numpy(dtype=bool)
    true_up = (frame["category"] == "面积补差款").fillna(False).to_numpy(dtype=bool)
    zero = (amount.abs() < EPS).to_numpy(dtype=bool)
    for row in frame.index[zero]:
        yield _at(book, "receipt", row, "amount", "receipt-zero")
    for row in frame.index[~zero & reversal & ~negative]:
        yield _at(book, "receipt", row, "amount", "reversal-negative")
    for row in frame.index[~zero & refund & ~reversal & ~negative]:
        yield _at(book, "receipt", row, "amount", "refund-negative")
    for row in frame.index[~zero & ~refund & ~true_up & ~reversal & negative]:
        yield _at(book, "receipt", row, "amount", "receipt-negative")
    itself = reversal & (frame["reverses_no"] == frame["no"]).fillna(False).to_numpy(dtype=bool)
    for row in frame.index[itself]:
        yield _at(book, "receipt", row, "reverses_no", "reversal-of-itself")


MORTGAGE_STAGES = ("资料收集", "已送银行", "已审批", "已放款")
MORTGAGE_NEEDS = (("submitted_date", 1), ("approved_date", 2), ("released_date", 3), ("released_amount", 3))


def mortgage_dates(book: Book, lookups: Lookups) -> Iterator[Finding]:
    """Each 办理状态 has its dates (送件 from 已送银行, 审批 from 已审批, 放款 and its amount at 已放款),
    and 送件日期 ≤ 审批日期 ≤ 放款日期."""
    frame = _clean(book, "mortgage")
    if frame.empty:
        return
    stage = frame["status"].map(lambda s: MORTGAGE_STAGES.index(s) if s in MORTGAGE_STAGES else -1)
    for field, needed_from in MORTGAGE_NEEDS:
        missing = (stage >= needed_from).to_numpy(dtype=bool) & frame[field].isna().to_numpy(dtype=bool)
        for row in frame.index[missing]:
            yield _at(book, "mortgage", row, field, "mortgage-field-required", status=frame.at[row, "status"])
    for earlier, later, other in (
        ("submitted_date", "approved_date", "送件日期"),
        ("approved_date", "released_date", "审批日期"),
    ):
        backwards = (frame[later] < frame[earlier]).fillna(False).to_numpy(dtype=bool)
        for row in frame.index[backwards]:
            yield _at(book, "mortgage", row, later, "date-order", other=other)


EARLIEST_PLAUSIBLE = dt.date(2000, 1, 1)


def plausible_dates(
    entity: str, field: str, *, earliest: dt.date = EARLIEST_PLAUSIBLE, days_ahead: int = 1
) -> Callable[[Book, Lookups], Iterator[Finding]]:
    """A warning at each date before ``earliest`` or more than ``days_ahead`` days after the day
    the workbook is checked (``Lookups.today``): a typo such as 2099 or 1900 is pointed out, and
    the row is still taken (a plan that times the entry, as the late-entry check does, keeps
    timing it)."""

    def implausible_dates(book: Book, lookups: Lookups) -> Iterator[Finding]:
        prepared = book.get(entity)
        if prepared is None or field not in prepared.frame or prepared.frame.empty:
            return
        values = prepared.frame[field]
        days = pd.to_datetime(values, errors="coerce").to_numpy(dtype="datetime64[D]")
        latest = np.datetime64(lookups.today() + dt.timedelta(days=days_ahead), "D")
        early = ~np.isnat(days) & (days < np.datetime64(earliest, "D"))
        late = ~np.isnat(days) & (days > latest)
        for mask, code in ((early, "date-too-early"), (late, "date-in-future")):
            for row in prepared.frame.index[mask]:
                finding = _at(book, entity, row, field, code, earliest=earliest.isoformat())
                yield replace(finding, severity=Severity.WARNING)

    return implausible_dates

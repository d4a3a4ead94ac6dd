"""Area true-up per 第二十条: a table of hand-computed amounts on both pricing areas, and the split as
the 销售服务 workbook stores and shows it (按套 pricing has none)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from schema.models import AreaTrueUp
from sync.app import Salesync
from sync.domain.trueup import area_true_up
from sync.pipeline.outcome import Verdict
from tests.deals import R1, add_staff, contract, ingest, registered_customers, signed_project, subscription

D = Decimal

# (basis, contract area, measured area, unit price,
#  ratio, buyer pays, developer bears, refund, double refund) — every amount worked out by hand:
#  建筑面积 at 31,250.00/m² on 100.00 m²: 3% is 3.00 m² = 93,750.00;
#  套内面积 at 41,666.67/m² on 100.00 m²: 3% is 3.00 m² = 125,000.01.
TABLE = [
    ("建筑面积", "100.00", "100.00", "31250.00", "0", "0", "0", "0", "0"),
    ("建筑面积", "100.00", "103.00", "31250.00", "0.03", "93750.00", "0", "0", "0"),
    ("建筑面积", "100.00", "97.00", "31250.00", "-0.03", "0", "0", "93750.00", "0"),
    ("建筑面积", "100.00", "103.01", "31250.00", "0.0301", "93750.00", "312.50", "0", "0"),  # 0.01 m² beyond
    ("建筑面积", "100.00", "105.00", "31250.00", "0.05", "93750.00", "62500.00", "0", "0"),  # 2 m² beyond
    ("建筑面积", "100.00", "95.00", "31250.00", "-0.05", "0", "0", "93750.00", "125000.00"),  # 2 m² × 2
    ("建筑面积", "100.00", "90.00", "31250.00", "-0.1", "0", "0", "93750.00", "437500.00"),  # 7 m² × 2
    ("建筑面积", "100.00", "101.23", "31250.00", "0.0123", "38437.50", "0", "0", "0"),  # 1.23 m²
    ("建筑面积", "100.00", "98.77", "31250.00", "-0.0123", "0", "0", "38437.50", "0"),
    ("套内面积", "100.00", "100.00", "41666.67", "0", "0", "0", "0", "0"),
    ("套内面积", "100.00", "103.00", "41666.67", "0.03", "125000.01", "0", "0", "0"),
    ("套内面积", "100.00", "97.00", "41666.67", "-0.03", "0", "0", "125000.01", "0"),
    ("套内面积", "100.00", "103.01", "41666.67", "0.0301", "125000.01", "416.67", "0", "0"),  # 416.6667
    ("套内面积", "100.00", "105.00", "41666.67", "0.05", "125000.01", "83333.34", "0", "0"),
    ("套内面积", "100.00", "95.00", "41666.67", "-0.05", "0", "0", "125000.01", "166666.68"),
    ("套内面积", "100.00", "90.00", "41666.67", "-0.1", "0", "0", "125000.01", "583333.38"),
]


@pytest.mark.parametrize(
    "basis,contract,measured,price,ratio,pays,bears,refund,double",
    TABLE,
    ids=[f"{t[0]}-{t[2]}" for t in TABLE],
)
def test_article_20_split(
    basis: str,
    contract: str,
    measured: str,
    price: str,
    ratio: str,
    pays: str,
    bears: str,
    refund: str,
    double: str,
) -> None:
    split = area_true_up(basis, D(contract), D(measured), D(price))
    assert split is not None
    assert (split.ratio, split.buyer_pays, split.developer_bears, split.refund, split.double_refund) == (
        D(ratio),
        D(pays),
        D(bears),
        D(refund),
        D(double),
    )
    assert split.amount == D(pays) - D(refund) - D(double)
    assert split.buyer_may_cancel == (abs(D(ratio)) > D("0.03"))


def test_per_unit_pricing_has_no_true_up() -> None:
    assert area_true_up("按套", D("100.00"), D("110.00"), D("31250.00")) is None


@pytest.fixture
def site(app: Salesync, people: dict[str, str], tmp_path: Path) -> Salesync:
    add_staff(app)
    registered_customers(app, tmp_path)
    return app


def _contracted(app: Salesync, tmp_path: Path, area: float, total: float) -> None:
    rows: dict[str, list[dict[str, Any]]] = {
        "认购": [subscription("S001", R1, "2026-10-10", total, area=area, unit=31360)],
        "签约": [contract("C001", "S001", "2026-10-16", total, area=area, unit=31360)],
    }
    outcome = ingest(app, "sales_control", rows, tmp_path / "control" / "销控.xlsx", "control")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors


def _survey(app: Salesync, tmp_path: Path, gross: float, inner: float) -> Any:
    rows = {
        "面积补差": [{"房间编码": R1, "实测建筑面积": gross, "实测套内面积": inner, "测绘日期": "2027-06-01"}]
    }
    outcome = ingest(app, "service", rows, tmp_path / "service" / "销售服务.xlsx", "service")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.errors
    with app.transaction() as session:
        return session.scalar(select(AreaTrueUp).where(AreaTrueUp.room_code == R1)), outcome


def test_gross_area_pricing_is_stored_and_shown(site: Salesync, tmp_path: Path) -> None:
    signed_project(site, tmp_path)  # 建筑面积: R1 109.75 m² at 31,360.00 after 九八折 = 3,441,760.00
    _contracted(site, tmp_path, 109.75, 3441760)
    # 104.00 − 109.75 = −5.75 m² (−5.2392%); 3% is 3.2925 m² refunded = 103,252.80;
    # the other 2.4575 m² at double: 2.4575 × 31,360 × 2 = 154,134.40.
    row, outcome = _survey(site, tmp_path, 104.00, 80.00)
    assert (row.basis, row.contract_area, row.measured_area, row.error_ratio) == (
        "建筑面积",
        D("109.75"),
        D("104.00"),
        D("-0.052392"),
    )
    assert (row.buyer_pays, row.developer_bears, row.refund, row.double_refund, row.amount) == (
        D("0.00"),
        D("0.00"),
        D("103252.80"),
        D("154134.40"),
        D("-257387.20"),
    )
    assert row.buyer_may_cancel
    shown = next(f for f in outcome.findings if f.code == "trueup-split").message()
    assert "退还 103,252.80 元" in shown and "双倍返还 154,134.40 元" in shown
    # re-surveyed: +3.29 m² (2.9977%) is inside 3%, paid in full at the contract price: 103,174.40
    row, _ = _survey(site, tmp_path, 113.04, 80.00)
    assert (row.error_ratio, row.buyer_pays, row.developer_bears, row.refund, row.amount) == (
        D("0.029977"),
        D("103174.40"),
        D("0.00"),
        D("0.00"),
        D("103174.40"),
    )


def test_inner_area_pricing_uses_the_measured_inner_area(site: Salesync, tmp_path: Path) -> None:
    signed_project(site, tmp_path, 计价方式="套内面积")  # R1 89.50 m² × 32,000 = 2,864,000; 九八折 2,806,720
    _contracted(site, tmp_path, 89.50, 2806720)
    # +2.69 m² on 89.50 (3.0056%): 3% is 2.685 m² paid = 84,201.60; 0.005 m² borne = 156.80.
    row, _ = _survey(site, tmp_path, 150.00, 92.19)
    assert (row.basis, row.measured_area, row.error_ratio) == ("套内面积", D("92.19"), D("0.030056"))
    assert (row.buyer_pays, row.developer_bears, row.refund, row.double_refund) == (
        D("84201.60"),
        D("156.80"),
        D("0.00"),
        D("0.00"),
    )


def test_per_unit_project_records_the_survey_without_amounts(site: Salesync, tmp_path: Path) -> None:
    signed_project(site, tmp_path, 计价方式="按套")
    _contracted(site, tmp_path, 109.75, 3441760)
    row, outcome = _survey(site, tmp_path, 120.00, 95.00)
    assert (row.basis, row.measured_gross, row.error_ratio, row.amount) == ("按套", D("120.00"), None, None)
    assert "trueup-per-unit" in {f.code for f in outcome.findings}


def test_no_true_up_without_a_contract(site: Salesync, tmp_path: Path) -> None:
    signed_project(site, tmp_path)
    rows = {"面积补差": [{"房间编码": R1, "实测建筑面积": 110, "实测套内面积": 90, "测绘日期": "2027-06-01"}]}
    outcome = ingest(site, "service", rows, tmp_path / "service" / "销售服务.xlsx", "service")
    assert [(f.row, f.header, f.code) for f in outcome.errors] == [(2, "房间编码", "trueup-no-contract")]

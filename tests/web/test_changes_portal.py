"""变更单 in the portal: the list, the exact diff, and electronic signatures (re-entered password),
through the real app, the real signing service and project_master workbooks ingested for real."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from schema.models import ChangeSet, Room
from sync.app import Salesync
from sync.domain import accounts, signing
from sync.pipeline.outcome import Verdict
from tests.conftest import PASSWORD
from tests.signers import GM, ensure_gm, sign_off
from tests.web.conftest import csrf_token
from tests.workbooks import fill_template, master_rows

ROOM = master_rows()["房间"][0]["房间编码"]

Login = Callable[..., FlaskClient]


def submit(app: Salesync, path: Path, rows: dict[str, list[dict[str, Any]]] | None = None) -> int:
    """The operator saves a 项目资料 workbook; the id of the change set it becomes."""
    outcome = app.ingest(fill_template("project_master", rows or master_rows(), path), "operator")
    assert outcome.verdict is Verdict.ACCEPTED and outcome.change_set_id is not None, outcome.findings
    return outcome.change_set_id


def repriced(price: int) -> dict[str, list[dict[str, Any]]]:
    rows = master_rows()
    room = rows["房间"][0]
    room["单价"], room["总价"] = price, round(price * room["建筑面积"], 2)
    return rows


def later_change(app: Salesync, tmp_path: Path, price: int = 33000) -> int:
    """Initial data in effect, then a pending change of one room's price (one senior manager signs it)."""
    sign_off(
        app, app.ingest(fill_template("project_master", master_rows(), tmp_path / "v1.xlsx"), "operator")
    )
    return submit(app, tmp_path / f"v{price}.xlsx", repriced(price))


def post(client: FlaskClient, path: str, page: str, **data: str) -> tuple[int, str]:
    token = csrf_token(client, page)
    response = client.post(path, data={**data, "csrf_token": token}, follow_redirects=True)
    return response.status_code, response.get_data(as_text=True)


def status(app: Salesync, change_set_id: int) -> tuple[str, int]:
    with app.transaction() as session:
        cs = session.get(ChangeSet, change_set_id)
        assert cs is not None
        return cs.status, len(cs.signatures)


def room_price(app: Salesync) -> float:
    with app.transaction() as session:
        return float(session.scalar(select(Room.unit_price).where(Room.code == ROOM)) or 0)


def test_the_list_puts_pending_first_with_counts_and_the_signatures_still_needed(
    app: Salesync, login: Login, people: dict[str, str], tmp_path: Path
) -> None:
    pending = later_change(app, tmp_path)
    page = login("senior").get("/changes/").get_data(as_text=True)
    rows = page.split('<tr data-id="')[1:]
    assert [int(r.split('"')[0]) for r in rows] == [pending, pending - 1]  # pending first, then newest
    first, applied = rows
    assert "待签" in first and "待我签字" in first and "市场营销部高级经理" in first
    counts = [first.split(f'<span class="{op}">')[1].split("<")[0] for op in ("add", "change", "remove")]
    assert counts == ["0", "1", "0"]
    assert "王芳（operator）" in first and "SZ-HW01" in first
    assert "已生效" in applied and "陈刚 批准" in applied and "刘洋 批准" in applied

    only_applied = login("senior").get("/changes/?status=applied").get_data(as_text=True)
    assert f'data-id="{pending - 1}"' in only_applied and f'data-id="{pending}"' not in only_applied
    assert 'data-id="' not in login("senior").get("/changes/?status=rejected").get_data(as_text=True)


def test_the_detail_shows_the_exact_diff_and_the_signatures(
    app: Salesync, login: Login, people: dict[str, str], tmp_path: Path
) -> None:
    initial = submit(app, tmp_path / "v1.xlsx")
    client = login("senior")
    page = client.get(f"/changes/{initial}").get_data(as_text=True)
    assert "新增的行 · 房间（8）" in page and ROOM in page and "海湾花园" in page
    assert "地区总经理、市场营销部高级经理" in page  # an initial load: the region's GM and a senior manager

    ensure_gm(app)
    for signer in ("senior", GM):
        with app.transaction() as session:
            signing.sign(session, initial, signer, PASSWORD)
    later = submit(app, tmp_path / "v2.xlsx", repriced(33000))
    page = client.get(f"/changes/{later}").get_data(as_text=True)
    changed = page.split('id="changed"')[1].split("</table>")[0]
    assert ROOM in changed and "单价" in changed and "32000" in changed and "33000" in changed
    assert "新增的行" not in page

    page = client.get(f"/changes/{initial}").get_data(as_text=True)
    signatures = page.split('id="signatures"')[1].split("</table>")[0]
    assert "陈刚（senior）" in signatures and "刘洋（gm）" in signatures and "批准" in signatures
    assert 'id="sign"' not in page  # applied: nothing left to sign
    assert client.get("/changes/9999").status_code == 404


def test_a_senior_manager_signs_with_the_password_and_the_change_applies(
    app: Salesync, login: Login, people: dict[str, str], tmp_path: Path
) -> None:
    cs = later_change(app, tmp_path)
    client = login("senior")
    page = client.get(f"/changes/{cs}").get_data(as_text=True)
    assert 'id="sign"' in page and 'id="reject"' in page and 'name="password"' in page

    code, page = post(client, f"/changes/{cs}/sign", f"/changes/{cs}", password="not my password")
    assert code == 403 and "密码不正确，签字未记录" in page
    assert status(app, cs) == ("待签", 0) and room_price(app) == 32000

    code, page = post(client, f"/changes/{cs}/sign", f"/changes/{cs}", password=PASSWORD)
    assert code == 200 and f"已签字，变更单 #{cs} 已生效" in page
    assert status(app, cs) == ("已生效", 1) and room_price(app) == 33000

    code, page = post(client, f"/changes/{cs}/sign", f"/changes/{cs}", password=PASSWORD)
    assert code == 409 and "不能再签字" in page  # stale: already in effect


def test_an_initial_load_applies_once_the_region_gm_signs_too(
    app: Salesync, login: Login, people: dict[str, str], tmp_path: Path
) -> None:
    cs = submit(app, tmp_path / "v1.xlsx")
    ensure_gm(app)
    code, page = post(login("senior"), f"/changes/{cs}/sign", f"/changes/{cs}", password=PASSWORD)
    assert code == 200 and "还需 地区总经理 签字" in page
    assert status(app, cs) == ("待签", 1)
    code, page = post(login(GM), f"/changes/{cs}/sign", f"/changes/{cs}", password=PASSWORD)
    assert code == 200 and "已生效" in page
    assert status(app, cs) == ("已生效", 2) and room_price(app) == 32000


def test_a_rejection_needs_a_reason_and_keeps_the_change_set(
    app: Salesync, login: Login, people: dict[str, str], tmp_path: Path
) -> None:
    cs = later_change(app, tmp_path)
    client = login("senior")
    code, page = post(client, f"/changes/{cs}/reject", f"/changes/{cs}", password=PASSWORD, reason="  ")
    assert code == 400 and "驳回时须填写原因" in page
    assert status(app, cs) == ("待签", 0)

    code, page = post(
        client, f"/changes/{cs}/reject", f"/changes/{cs}", password=PASSWORD, reason="单价与定价审批表不符"
    )
    assert code == 200 and f"已驳回变更单 #{cs}" in page
    assert status(app, cs) == ("已驳回", 1) and room_price(app) == 32000
    signatures = page.split('id="signatures"')[1].split("</table>")[0]
    assert "驳回" in signatures and "单价与定价审批表不符" in signatures
    assert f'data-id="{cs}"' in client.get("/changes/?status=rejected").get_data(as_text=True)


def test_an_operator_sees_change_sets_but_cannot_sign(
    app: Salesync, login: Login, people: dict[str, str], tmp_path: Path
) -> None:
    cs = later_change(app, tmp_path)
    with app.transaction() as session:
        accounts.add_user(
            session, "operator2", name="孙悦", roles=["operator"], password=PASSWORD, region="SZ"
        )
    for username, why in [("operator", "提交人"), ("operator2", "没有签字权限")]:
        client = login(username)
        assert f'data-id="{cs}"' in client.get("/changes/").get_data(as_text=True)
        page = client.get(f"/changes/{cs}").get_data(as_text=True)
        assert "33000" in page and 'id="sign"' not in page and 'id="reject"' not in page
        assert why in page.split('id="why-not"')[1]
        code, page = post(client, f"/changes/{cs}/sign", f"/changes/{cs}", password=PASSWORD)  # forged
        assert code == 403 and why in page
    assert status(app, cs) == ("待签", 0) and room_price(app) == 32000


def test_a_change_set_whose_base_changed_is_refused_in_words(
    app: Salesync, login: Login, people: dict[str, str], tmp_path: Path
) -> None:
    first = later_change(app, tmp_path, 33000)
    second = submit(app, tmp_path / "other.xlsx", repriced(34000))  # a workbook of its own, same base
    client = login("senior")
    assert post(client, f"/changes/{first}/sign", f"/changes/{first}", password=PASSWORD)[0] == 200
    code, page = post(client, f"/changes/{second}/sign", f"/changes/{second}", password=PASSWORD)
    assert code == 409 and "处冲突" in page and "Traceback" not in page
    assert status(app, second) == ("待签", 0) and room_price(app) == 33000


def test_other_regions_and_other_roles_do_not_see_the_change_sets(
    app: Salesync, login: Login, people: dict[str, str], tmp_path: Path
) -> None:
    cs = later_change(app, tmp_path)
    with app.transaction() as session:
        accounts.add_region(session, "GZ", "广州地区公司")
        accounts.add_user(
            session, "gz_senior", name="周强", roles=["senior_manager"], password=PASSWORD, region="GZ"
        )
        accounts.add_user(session, "boss", name="马总", roles=["executive"], password=PASSWORD)
    outsider = login("gz_senior")
    assert f'data-id="{cs}"' not in outsider.get("/changes/").get_data(as_text=True)
    assert outsider.get(f"/changes/{cs}").status_code == 404
    assert post(outsider, f"/changes/{cs}/sign", "/changes/", password=PASSWORD)[0] == 404
    assert f'data-id="{cs}"' in login("boss").get("/changes/").get_data(as_text=True)
    assert login("rep_a").get("/changes/").status_code == 403
    assert status(app, cs) == ("待签", 0)


def test_the_signing_page_in_english(
    app: Salesync, login: Login, people: dict[str, str], tmp_path: Path
) -> None:
    cs = later_change(app, tmp_path)
    client = login("senior")
    page = client.get(f"/changes/{cs}?lang=en").get_data(as_text=True)
    assert "Sign to approve" in page and "Fields changed (old → new)" in page and "Pending" in page
    code, page = post(client, f"/changes/{cs}/sign", f"/changes/{cs}", password="wrong")
    assert code == 403 and "Wrong password; nothing was signed" in page


def test_guessing_the_signing_password_is_as_slow_as_at_sign_in(
    app: Salesync, login: Login, people: dict[str, str], tmp_path: Path
) -> None:
    cs = later_change(app, tmp_path)
    client = login("senior")
    for guess in range(5):
        assert post(client, f"/changes/{cs}/sign", f"/changes/{cs}", password=f"guess {guess}")[0] == 403
    code, page = post(client, f"/changes/{cs}/sign", f"/changes/{cs}", password=PASSWORD)
    assert code == 429 and "请 15 分钟后再签字" in page
    assert status(app, cs) == ("待签", 0) and room_price(app) == 32000


def test_my_tasks_link_to_the_change_set_to_sign(
    app: Salesync, login: Login, people: dict[str, str], tmp_path: Path
) -> None:
    cs = submit(app, tmp_path / "项目资料.xlsx")
    page = login("senior").get("/").get_data(as_text=True)
    assert f'<a href="/changes/{cs}">#{cs}</a>' in page

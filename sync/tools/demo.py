"""The demo: a region, its people, a drive folder of realistic workbooks, all ingested for real.

Idempotent: running it again finds the accounts and files in place and reports each file's state
(unchanged files are no-ops). The drive follows the watcher's layout, ``ROOT/<region>/<username>/``.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from schema.base import SHANGHAI
from schema.models import Account, ChangeSet, Region
from schema.models.audit import PENDING
from schema.roles import GROUP_ROLES, Role
from sync.app import Salesync
from sync.domain import accounts, signing
from sync.domain.signing import SigningRefused
from sync.pipeline.outcome import Outcome
from sync.tools.demo_deals import write_deal_workbooks
from sync.tools.examples import write_customers_workbook, write_project_master

REGION = ("SZ", "深圳地区公司")
PEOPLE = [
    # username, name, roles
    ("admin", "集团管理员", ["group_admin"]),
    ("sz_admin", "周建国", ["region_admin"]),
    ("wangfang", "王芳", ["operator"]),
    ("zhangli", "张丽", ["sales_rep"]),
    ("liqiang", "李强", ["sales_rep"]),
    ("zhaomin", "赵敏", ["sales_manager"]),
    ("chengang", "陈刚", ["senior_manager"]),
    ("liuyang", "刘洋", ["region_gm"]),
    ("xukai", "徐凯", ["sales_control"]),
    ("huangli", "黄丽", ["finance"]),
    ("zhoujie", "周杰", ["sales_service"]),
    ("boss", "吴总", ["executive"]),
]
DEFAULT_PASSWORD = "salesync-demo"
SIGNERS = ("chengang", "liuyang")  # the initial load's signatures: senior manager, then regional GM
PROJECT = "SZ-HW01"  # the project of the example 项目资料


def ensure_people(app: Salesync, password: str) -> None:
    with app.transaction() as session:
        if session.scalar(select(Region).where(Region.code == REGION[0])) is None:
            accounts.add_region(session, *REGION)
        for username, name, roles in PEOPLE:
            if session.scalar(select(Account).where(Account.username == username)) is None:
                region = None if set(roles) <= {r.value for r in GROUP_ROLES} else REGION[0]
                accounts.add_user(session, username, name=name, roles=roles, password=password, region=region)


def build_drive(drive: Path, today: dt.date | None = None) -> list[tuple[Path, str]]:
    """Write the example workbooks (once) and return (file, account) in the order to ingest them;
    the reps' activity runs up to ``today`` (default: today in Beijing)."""
    today = today or dt.datetime.now(SHANGHAI).date()
    home = drive / REGION[0]
    plan = [
        (home / "wangfang" / "项目资料.xlsx", "wangfang", lambda p: write_project_master(p, rooms=240)),
        (
            home / "zhangli" / "客户登记.xlsx",
            "zhangli",
            lambda p: write_customers_workbook(
                p, 300, seed=1, first_phone=0, events_per_customer=2, today=today
            ),
        ),
        # 李强 re-enters 12 of 张丽's customers (撞单) and makes a few typing mistakes.
        (
            home / "liqiang" / "客户登记.xlsx",
            "liqiang",
            lambda p: write_customers_workbook(p, 150, seed=2, first_phone=288, bad_rows=4, today=today),
        ),
    ]
    out = []
    for path, username, make in plan:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            make(path)
        out.append((path, username))
    return out


def prepare_demo(
    app: Salesync, drive: Path, *, echo: Callable[[str], None] = print
) -> list[tuple[Path, str]]:
    """Initialise, create the demo people and write the demo drive; (file, account) to ingest."""
    app.init()
    password = os.environ.get("SALESYNC_DEMO_PASSWORD", DEFAULT_PASSWORD)
    ensure_people(app, password)
    echo(f"数据库：{app.engine.url.render_as_string(hide_password=True)}")
    echo(f"演示共享盘：{drive.resolve()}")
    echo(f"演示账号（密码 {password}）：")
    for username, name, roles in PEOPLE:
        titles = "、".join(Role(r).title_zh for r in roles)
        echo(f"  {username:<10} {name}  {titles}")
    today = dt.datetime.now(SHANGHAI).date()
    files = build_drive(drive, today)
    return files + open_project(app, drive, files, password, today, echo)


def open_project(
    app: Salesync,
    drive: Path,
    files: list[tuple[Path, str]],
    password: str,
    today: dt.date,
    echo: Callable[[str], None] = print,
) -> list[tuple[Path, str]]:
    """Bring the demo project to life before the watcher starts: the operator's initial load synced
    and signed by the demo's signers (senior manager, then regional GM), so its rooms exist; 张丽's
    customers synced; then the 销控 and 收款 workbooks written on those rooms and customers. Returns
    the deal workbooks (file, account) to ingest after the others. Running it again changes nothing:
    the same bytes are no-ops and a signed change set is not signed again."""
    master, customers = files[0], files[1]
    app.ingest(*master)
    with app.transaction() as session:
        pending = session.scalars(
            select(ChangeSet.id).where(ChangeSet.status == PENDING, ChangeSet.is_initial.is_(True))
        ).all()
    for change_set_id in pending:
        for signer in SIGNERS:
            try:
                with app.transaction() as session:
                    signing.sign(session, change_set_id, signer, password)
            except SigningRefused as exc:  # e.g. the accounts keep a password from another run
                echo(f"变更单 #{change_set_id} 未能以 {signer} 签字：{exc.message('zh')}")
                break
        else:
            echo(f"项目资料（变更单 #{change_set_id}）已由 {' 和 '.join(SIGNERS)} 签字生效")
    app.ingest(*customers)
    with app.transaction() as session:
        return write_deal_workbooks(session, drive / REGION[0], PROJECT, customers[1], today)


def run_demo(app: Salesync, drive: Path, *, echo: Callable[[str], None] = print) -> list[Outcome]:
    files = prepare_demo(app, drive, echo=echo)
    return [app.ingest(path, username) for path, username in files]


def salesync_command() -> str:
    """How to run salesync from a new terminal: the executable this process runs as (``.venv/bin/salesync``
    from the checkout), since a new terminal has no activated virtual environment."""
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 is None or argv0.name != "salesync":
        return "salesync"
    try:
        return str(argv0.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(argv0.resolve())

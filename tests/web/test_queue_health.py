"""The portal's sync health (同步记录 → 共享盘状态) shows what the watcher set aside and what waits
for a retry, with the words the author gets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from flask.testing import FlaskClient

from schema.models import JobState
from sync.app import Salesync
from sync.domain import accounts
from sync.watch import queue
from tests.conftest import PASSWORD
from tests.workbooks import customer_rows, fill_template
from validators.findings import Finding


def test_quarantined_and_retrying_files_show_in_the_sync_health(
    app: Salesync, login: Callable[..., FlaskClient], people: dict[str, str]
) -> None:
    root = app.config.drive_root
    poison, waiting = root / "SZ" / "rep_a" / "毒.xlsx", root / "SZ" / "rep_b" / "满.xlsx"
    fill_template("customers", customer_rows(1), poison)
    fill_template("customers", customer_rows(1, start=10), waiting)
    queue.record_files(app, root, [poison, waiting])
    site = queue.site_of(root)
    first, second = queue.claim(app, "w:1:a", site), queue.claim(app, "w:1:a", site)
    assert first is not None and second is not None
    words = Finding("watch-quarantined", params={"attempts": 3, "detail": "exit code 134"}).message("zh")
    queue.finish(app, first.id, JobState.QUARANTINED, code="watch-quarantined", detail=words, failures=3)
    queue.put_back(
        app,
        second,
        delay=timedelta(seconds=60),
        code="watch-fault",
        detail="No space left on device",
        failed=False,
    )
    with app.transaction() as session:
        accounts.add_user(
            session, "sz_admin", name="周建国", roles=["region_admin"], password=PASSWORD, region="SZ"
        )
    page = login("sz_admin").get("/versions/health").get_data(as_text=True)
    assert "毒.xlsx" in page and "已隔离" in page and "exit code 134" in page
    assert "满.xlsx" in page and "No space left on device" in page
    assert Path(first.path).name == "毒.xlsx"

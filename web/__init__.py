"""The salesync portal (Flask): my tasks, reports and the 楼盘表 board, customer ownership (撞单 and
dormant customers), dual-track reconciliation review, change-set signing and account
administration, in the browser.

``create_app(service)`` builds the app around a :class:`sync.app.Salesync` service object; nothing
runs at import. ``web.server`` serves it with waitress (``salesync serve``, and ``salesync up``
beside the watcher). The portal only presents and calls the service layer (``sync.domain.tasks``,
``sync.reports``, ``sync.domain.ownership``, ``sync.reconcile``, ``sync.domain.signing``, ``sync.domain.accounts``); it
holds no rules of its own.
"""

from web.app import create_app

__all__ = ["create_app"]

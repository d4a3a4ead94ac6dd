"""The salesync portal (Flask): reconciliation review, reports, the 楼盘表 board, my tasks and
account administration in the browser.

The portal is not built yet; everything it will show is available from the command line
(``salesync report``, ``salesync reconcile``, ``salesync tasks``, ``salesync changes``) through
the same service layer it will call (``sync.reports``, ``sync.reconcile``, ``sync.tasks``,
``sync.signing``).
"""

"""Telling people: channels, events into the outbox, the sender, digests and scheduled reports.

An event is recorded (``sync.pipeline.notices``) as rows of ``notify_message`` inside the transaction
of the change it tells about; ``sync.notify.sender`` delivers them later through apprise (e-mail and
the 企业微信 / 钉钉 / 飞书 robots), retrying with backoff and recording each attempt; the scheduler
(``sync.notify.schedule``) adds the working-morning digests, the period reports and the controllers'
cadence reminders. ``sync.notify.service.Notifier`` runs both in a thread beside the watcher, so an
ingest only ever writes a row and is never slowed by a channel.
"""

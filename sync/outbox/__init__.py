"""The outbox: what the service has to tell people, written as rows in the transaction of the change
that caused it, in their language; sending is ``sync.notify``'s job, apart from every ingest."""

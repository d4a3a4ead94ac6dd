"""The watcher: the shared drive as salesync's entry layer (docs/domain.md §7).

    observer thread ─► events (paths only) ─► stabiliser ─► job queue (database) ─► worker ─► ingest
    periodic rescan ──┘                    size+mtime stable,     recorded before      one version at
                                           zip opens              it is processed      a time, feedback

The observer's handler only filters and queues paths; everything else happens in the watcher's loop
(``service.Watcher``), which also restarts a dead observer, pauses while the database is away and
stops after the current file on SIGTERM or Ctrl-C.
"""

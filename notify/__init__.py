"""Alert delivery: the published night's alerts to the people who act on them.

`notify.alerts` reads them from the published warehouse, `notify.outbox` is the ledger that
makes each (alert, channel) go out once across reruns, `notify.email` and `notify.webhook` send,
`notify.digest` writes the nightly summary e-mail, and `notify.deliver` ties them together for
the DAG's `deliver_alerts` task, `carepulse run` and `carepulse alerts deliver`.
"""

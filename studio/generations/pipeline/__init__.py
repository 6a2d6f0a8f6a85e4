"""The job pipeline: what a submit, a poll and a completion do to a row, by stage.

The row is the source of truth; the tasks in tasks.py only call in here. Any step may run
twice or never, so: a submit claims its row with a conditional UPDATE and POSTs at most
once; a definite "not created" (429, 5xx, connection refused) is retried with backoff; an
unknown outcome (a read timeout after sending) fails the row instead of being resent.

- `sending.py`: claim a pending row and POST it once (`submit`), retry or fail a refusal;
- `body.py`: the request body a row is sent as;
- `polling.py`: GET one row, take the provider's answer onto it, copy its outputs in;
- `loop.py`: the polling loop (due sends and polls each turn, under the lease);
- `recovery.py`: re-drive rows whose task was lost or that ran far too long;
- `rows.py`: the pipeline's own columns and the small writes every stage shares.

The names below are what tasks.py, studio_worker, the benchmarks and the tests call.
"""

from .body import request_body
from .loop import any_in_flight, next_due, poll_due, run_loop
from .polling import apply_upstream, complete, fetch_outputs, poll_interval, poll_one
from .recovery import redrive
from .rows import ensure_poller
from .sending import backoff, fail_unsent, submit

__all__ = [
    "any_in_flight",
    "apply_upstream",
    "backoff",
    "complete",
    "ensure_poller",
    "fail_unsent",
    "fetch_outputs",
    "next_due",
    "poll_due",
    "poll_interval",
    "poll_one",
    "redrive",
    "request_body",
    "run_loop",
    "submit",
]

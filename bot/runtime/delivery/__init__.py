"""Daily posts, once per channel per local day: plan -> claim -> commit -> post -> mark.

1. plan: for every subscription, the posts due in the look-back window become ledger rows
   (UNIQUE per subscription and local date; replicas planning at once insert nothing twice).
2. claim: a batch of due rows is claimed with a lease and committed before anything is posted.
3. post through the platform's Adapter, with the delivery key attached for reconciliation.
4. mark: sent (with the message id), failed, skipped or paused; the tip joins channel history.

Errors from `Adapter.post` decide what happens next: `RateLimited` waits its Retry-After,
`TransientError` backs off exponentially with jitter up to `max_attempts` and then leaves the
row to a later pass inside the catch-up window, `AmbiguousError` asks `find_posted` before
trying again, `AuthError` (a refused token) holds the platform's posts back without pausing
anything, `PermanentError` pauses the subscription with the reason. A row whose claimer died
is claimable again after its lease; the new claimer looks for the earlier post
(`find_posted`) before posting, so a crash between post and mark does not post twice on
platforms that can tell. A catch-up post (a restored or wiped database forgets what went out)
is looked up the same way before its first attempt.

The clock and the random source are injected: tests drive time by hand and never sleep.

One job per module:
- `planning`: `plan_for`, the ledger rows due in a pass's look-back window.
- `attempt`: one post with its retry policy (`Poster`, `PostPolicy`), and what each
  `PostError` leads to; `pacing`: `backoff_delay` and the per-workspace `WorkspaceLimiter`;
  `retries`: when a later pass tries a failed post again; `outages`: adapters whose token is
  refused (`AuthOutages`).
- `marks`: sent marks, group-committed. `reply_cache`: rendered daily replies per corpus.
- `leases`: our claims and their renewal; `store_calls`: store calls off the event loop,
  retried while the database is down.
- `tip_choice`: the tips a claimed batch posts, learnt from the channel's votes;
  `content`: what a claimed row posts; `quiz_delivery`: a quiz-mode channel's daily question.
  `results`: `DeliveryResult`.
- `deliverer`: the pass that ties them together (`Deliverer`, `run_passes_until_done`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.ports import TipSource
    from bot.runtime.delivery.deliverer import Deliverer, run_passes_until_done
    from bot.runtime.delivery.leases import worker_id
    from bot.runtime.delivery.pacing import backoff_delay
    from bot.runtime.delivery.planning import plan_for
    from bot.runtime.delivery.results import DeliveryResult
    from bot.runtime.store import SENT

# Each name is imported from its module on first use, so that `planning` alone (what
# `k8stip deliver` needs to see that nothing is due) loads without the deliverer, the core's
# engine and the adapters' ports.
_HOMES = {
    "SENT": "bot.runtime.store",
    "Deliverer": "bot.runtime.delivery.deliverer",
    "DeliveryResult": "bot.runtime.delivery.results",
    "TipSource": "bot.ports",
    "backoff_delay": "bot.runtime.delivery.pacing",
    "plan_for": "bot.runtime.delivery.planning",
    "run_passes_until_done": "bot.runtime.delivery.deliverer",
    "worker_id": "bot.runtime.delivery.leases",
}

__all__ = [
    "SENT",
    "Deliverer",
    "DeliveryResult",
    "TipSource",
    "backoff_delay",
    "plan_for",
    "run_passes_until_done",
    "worker_id",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value

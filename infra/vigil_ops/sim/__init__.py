"""Fleet scale by simulation: a discrete-event model of cameras, the token function, FC and STS.

The decisions are the real code's: a camera schedules its refresh with
`vigil_camera.credentials.refresh_time`, backs off with the provider's own `Backoff`, and decides
what is retryable with `TokenError.retryable`; a token-function instance sheds and queues with
`vigil_fn.core.ratelimit.StsBudget` through `vigil_fn.token.service.shed_early/take_sts_slot`, and answers
with the same `sts_busy` / `sts_unavailable` errors. Only the world around them is modelled:
a virtual clock, network and service latencies, FC's instance cap, STS as a token bucket.
"""

from .fleet import FleetConfig, FleetResult, run_fleet

__all__ = ["FleetConfig", "FleetResult", "run_fleet"]

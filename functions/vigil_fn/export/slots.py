"""Per-user export slots taken atomically: at most `max_concurrent` queued or running jobs per user.

Why: the limit used to be read (list the user's jobs, count the active ones) and then the job
written, so 10 parallel `POST /api/v1/exports` gave 5 × 202 with a limit of 2 (security round
three, item 2). OSS has no compare-and-swap on an object's content, but it has create-only writes
(`x-oss-forbid-overwrite`, `core.nonces.put_new`), which is what the revocation journal and the
token rate limit already build on.

A user has `max_concurrent` slots. Each slot is a chain of create-only generations,
`_system/nonces/xs-<user digest>/<slot>-<generation>`, each holding the id of the job that took
it. The newest generation says who holds the slot; it is free when that job is no longer active
(done, failed, stalled, deleted) or is the very job asking again (a retry). Taking a free slot is
creating the next generation: of any number of racers that saw the same newest generation, OSS
lets exactly one create the next, and the others move on to the next slot or are refused. A
generation is never deleted by Vigil (a deleted one could be created twice); the nonce lifecycle
rule removes them after a day, long after their jobs ended. Generations are numbered downwards
(`9999999999` first), so a listing of one `max_keys=1` returns the newest one.

A job is written before it takes a slot, so a slot always names a job that exists.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import oss2
from vigil_camera.keys import SYSTEM

from ..core.nonces import put_new

TOP_GENERATION = 9_999_999_999

IsActive = Callable[[str], bool]
"""Whether the job with this id (of the same user) still counts against the limit."""


def slots_prefix(user: str) -> str:
    """Beside the nonces and rate-limit slots (`xs-` can be neither): the day-long lifecycle rule
    applies, and a digest keeps user names out of keys."""
    return f"{SYSTEM}nonces/xs-{hashlib.sha256(user.encode()).hexdigest()[:40]}/"


def generation_key(user: str, slot: int, generation: int) -> str:
    return f"{slots_prefix(user)}{slot:03d}-{TOP_GENERATION - generation:010d}"


class ExportSlots:
    def __init__(self, bucket: oss2.Bucket, slots: int) -> None:
        self.bucket, self.slots = bucket, slots

    def newest(self, user: str, slot: int) -> tuple[int, str | None]:
        """(generation, job id) of the slot's newest generation; (-1, None) for a slot never taken."""
        prefix = f"{slots_prefix(user)}{slot:03d}-"
        page = self.bucket.list_objects_v2(prefix=prefix, max_keys=1)
        if not page.object_list:
            return -1, None
        key = page.object_list[0].key
        generation = TOP_GENERATION - int(key[len(prefix):])
        try:
            holder = self.bucket.get_object(key).read().decode("utf-8", errors="replace")
        except oss2.exceptions.NoSuchKey:  # expired by the lifecycle between list and get: free
            holder = None
        return generation, holder

    def take(self, user: str, job_id: str, is_active: IsActive) -> int | None:
        """Take a free slot for `job_id`: its number, or None when every slot holds an active job."""
        for slot in range(self.slots):
            generation, holder = self.newest(user, slot)
            if holder is not None and holder != job_id and is_active(holder):
                continue
            if put_new(self.bucket, generation_key(user, slot, generation + 1), job_id.encode(),
                       {"Content-Type": "text/plain"}):
                return slot
            # another request took this generation first: that job now holds the slot
        return None

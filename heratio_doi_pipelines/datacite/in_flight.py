"""The cap on DataCite requests in flight, shared by every client of a run.

A batch runs more threads than requests in flight, so the next items are read, built and
validated while the current ones wait for DataCite. When an answer comes back, its thread lets
go of its slot and a waiting sender takes it. Both threads then want the GIL: the one whose
answer came back to record the outcome (JSON, SQLAlchemy and SQLite, about 3 ms), the woken
one to write its request. Left to the interpreter, the recorder usually wins: the sender gives
the GIL up at its first system call (urllib3 polls the kept-alive socket before reusing it) and
gets it back only when the recorder blocks. At one request in flight every request then left
2-3 ms late, more than the whole client overhead of a naive sequential loop.

So a slot goes to the next sender first: the thread that lets go of a slot another thread is
waiting for waits, without the GIL, until a request has been written to the wire (the DataCite
client reports each write, see ``datacite/client.py``), at most ``HANDOVER_WAIT_S``, and only
then records its outcome, while that request is with DataCite. A sender that is held back after
taking its slot (a rate-limit start, a connection that fails) costs the waiting thread at most
that cap.
"""

from __future__ import annotations

import threading
from collections import deque

# The longest a thread that let go of a slot waits for the next sender's request to leave. A
# request is written well under a millisecond after its slot is taken; past this, the sender is
# waiting for something else (its start in the rate budget) and the outcome need not wait.
HANDOVER_WAIT_S = 0.02

# The handover the calling thread owes: the lock the thread that let go of its slot waits on
# until this thread's request is written (None: nobody waits for it).
_owed = threading.local()


def request_written() -> None:
    """The calling thread's request is on the wire (the DataCite client's connections call
    this once per request written)."""
    handover = getattr(_owed, "handover", None)
    if handover is not None:
        _owed.handover = None
        handover.release()


class InFlightSlots:
    """At most ``limit`` requests in flight; a slot let go goes to the next sender first."""

    def __init__(self, limit: int, *, handover_wait_s: float = HANDOVER_WAIT_S):
        if limit < 1:
            raise ValueError("at least one request must be allowed in flight")
        self.limit = limit
        self.handover_wait_s = handover_wait_s
        self._lock = threading.Lock()
        self._freed = threading.Condition(self._lock)  # a slot is free
        self._free = limit
        self._waiting = 0  # senders waiting for a slot
        # One lock per slot handed over, held until the sender that took the slot has written
        # its request: the thread that let go waits on it alone, so a write wakes one thread.
        self._handovers: deque[threading.Lock] = deque()

    def acquire(self) -> None:
        with self._lock:
            self._waiting += 1
            try:
                while self._free == 0:
                    self._freed.wait()
            finally:
                self._waiting -= 1
            self._free -= 1
            _owed.handover = self._handovers.popleft() if self._handovers else None

    def release(self) -> None:
        """Let go of a slot; if a sender was waiting for one, return once its request has
        left (at most ``handover_wait_s`` later)."""
        request_written()  # if the caller's own request never left, nobody waits for it longer
        with self._lock:
            if self._free >= self.limit:
                raise ValueError("released more slots than were taken")
            self._free += 1
            handover = None
            if self._waiting:
                handover = threading.Lock()
                handover.acquire()
                self._handovers.append(handover)
                self._freed.notify()
        if handover is not None:
            handover.acquire(timeout=self.handover_wait_s)

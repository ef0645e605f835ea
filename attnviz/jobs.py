"""Long computations that outlive the call that asked for them, and that can be cancelled.

The page asks for an attribution method (seconds to minutes of work) from one run of its script; a rerun
(any widget touched meanwhile) interrupts that run but must not throw the work away, and a Cancel button must
stop it. A ``JobBoard`` runs each request in a worker thread under a key: asking again for a running key
joins the running job, a finished one's result is kept (the most recent ``keep``), and ``cancel(key)`` makes
the work stop at its next model pass, through the ``Ticket`` its code holds (``Ticket.check`` raises
``Cancelled``). Failed and cancelled jobs are forgotten, so asking again starts afresh.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from attnviz.errors import AttnvizError

Work = Callable[["Ticket"], Any]


class Cancelled(AttnvizError):
    """The job was cancelled before it finished."""


class Ticket:
    """What the running work sees: ``check()`` raises Cancelled once the job is cancelled; ``start(expected)``
    says the work has begun (it may first wait for the cores) and how many units (model passes) it expects;
    ``advance(done)`` reports the units done and checks."""

    def __init__(self) -> None:
        self.cancelled = threading.Event()
        self.started = False
        self.started_at = 0.0           # time.monotonic() when the work began
        self.expected = 0
        self.done = 0

    def start(self, expected: int) -> None:
        self.check()
        self.started, self.expected, self.started_at = True, expected, time.monotonic()

    def check(self) -> None:
        if self.cancelled.is_set():
            raise Cancelled("cancelled")

    def advance(self, done: int) -> None:
        self.done = done
        self.check()

    @property
    def fraction(self) -> float:
        """How far the work is, in [0, 1] (0 until ``expected`` is set)."""
        return min(1.0, self.done / self.expected) if self.expected > 0 else 0.0

    @property
    def elapsed(self) -> float:
        """Seconds since the work began (0 before)."""
        return time.monotonic() - self.started_at if self.started else 0.0

    @property
    def remaining(self) -> float | None:
        """Seconds left at the rate of the units done so far (None before the first unit is done)."""
        if not self.started or self.done <= 0:
            return None
        return max(0.0, self.elapsed * (self.expected - self.done) / self.done)


class Job:
    """One keyed computation: its future and its ticket."""

    def __init__(self, key: str, future: Future, ticket: Ticket) -> None:
        self.key, self.future, self.ticket = key, future, ticket

    @property
    def done(self) -> bool:
        return self.future.done()

    @property
    def progress(self) -> float:
        return 1.0 if self.done else self.ticket.fraction

    def result(self, timeout: float | None = None) -> Any:
        """The work's result; its exception (Cancelled once cancelled) re-raised here."""
        return self.future.result(timeout)


class JobBoard:
    """Keyed background jobs shared by every caller of one process (the page's sessions)."""

    def __init__(self, workers: int = 4, keep: int = 256) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="attnviz-job")
        self._jobs: OrderedDict[str, Job] = OrderedDict()    # running, then finished (oldest first)
        self._keep = keep
        self._lock = threading.Lock()

    def submit(self, key: str, work: Work) -> Job:
        """The job under ``key``: the running or kept one, else ``work(ticket)`` started now."""
        with self._lock:
            job = self._jobs.get(key)
            if job is not None:
                self._jobs.move_to_end(key)
                return job
            ticket = Ticket()
            job = Job(key, self._pool.submit(work, ticket), ticket)
            self._jobs[key] = job
        job.future.add_done_callback(lambda _: self._finished(job))
        return job

    def get(self, key: str) -> Job | None:
        with self._lock:
            return self._jobs.get(key)

    def cancel(self, key: str) -> bool:
        """Stop the running job under ``key`` at its next check; whether one was running."""
        with self._lock:
            job = self._jobs.get(key)
            if job is None or job.done:
                return False
            job.ticket.cancelled.set()
        job.future.cancel()                      # a job still queued never starts (its callback takes the lock)
        return True

    def _finished(self, job: Job) -> None:
        """Forget a failed or cancelled job; keep a result, dropping the oldest finished beyond ``keep``."""
        with self._lock:
            if job.future.cancelled() or job.future.exception() is not None:
                if self._jobs.get(job.key) is job:
                    del self._jobs[job.key]
                return
            finished = [k for k, j in self._jobs.items() if j.done]
            for key in finished[:max(0, len(finished) - self._keep)]:
                del self._jobs[key]

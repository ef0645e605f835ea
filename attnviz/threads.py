"""Cores shared between the requests one process serves at once (the page's sessions), and with the other
processes running beside a command-line run.

Two computations that each use every core oversubscribe the machine: on 2 cores, an explanation that takes
3.3 s with 2 threads takes 27.6 s with 2 threads beside one busy process, and 5.5 s with 1
(``python benchmarks/threads.py``, docs/limits.md). torch's thread count is set per calling thread, so a
running request cannot be slowed down later; instead heavy work (attribution methods, faithfulness) runs one request at a
time with every core, and light work (a summary) runs meanwhile on one thread. A command-line run takes the
cores that other running processes leave free (``free_cores``): torch's threads wait for each other at every
operation, so a thread on a core another process holds slows the whole run down several-fold.
"""
from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import torch


class ComputeGate:
    """``with gate.heavy(): ...`` waits for the cores and takes them all; ``with gate.light(): ...`` never
    waits and takes one core while heavy work runs, all of them otherwise."""

    def __init__(self, cores: int | None = None) -> None:
        self.cores = max(1, cores or os.cpu_count() or 1)
        self._heavy = threading.Lock()

    @contextmanager
    def heavy(self) -> Iterator[int]:
        with self._heavy, self._threads(self.cores) as threads:
            yield threads

    @contextmanager
    def light(self) -> Iterator[int]:
        with self._threads(1 if self._heavy.locked() else self.cores) as threads:
            yield threads

    @contextmanager
    def _threads(self, count: int) -> Iterator[int]:
        before = torch.get_num_threads()
        torch.set_num_threads(count)
        try:
            yield count
        finally:
            torch.set_num_threads(before)


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def running_elsewhere(samples: int = 5, interval: float = 0.02, loadavg: str = "/proc/loadavg") -> int:
    """How many other processes are running now: the median over ``samples`` readings of the running count in
    ``loadavg`` (this process excluded; the load averages are not used, as they still hold this process's own
    earlier runs); 0 where the file cannot be read."""
    counts = []
    for i in range(samples):
        try:
            with open(loadavg, encoding="ascii") as f:
                counts.append(int(f.read().split()[3].split("/")[0]) - 1)
        except (OSError, ValueError, IndexError):
            return 0
        if i + 1 < samples:
            time.sleep(interval)
    return max(0, int(statistics.median(counts)))


def free_cores(cores: int | None = None) -> int:
    """Threads for one run: the usable cores less those other running processes hold, at least 1."""
    cores = cores or usable_cores()
    return max(1, min(cores, cores - running_elsewhere()))

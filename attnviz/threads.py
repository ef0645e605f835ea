"""Cores shared between the requests one process serves at once (the page's sessions).

Two computations that each use every core oversubscribe the machine: on 2 cores, an explanation that takes
5.2 s with 2 threads takes 19.0 s with 2 threads beside one busy process, and 8.4 s with 1
(``python benchmarks/threads.py``). torch's thread count is set per calling thread, so a running request
cannot be slowed down later; instead heavy work (attribution methods, faithfulness) runs one request at a
time with every core, and light work (a summary) runs meanwhile on one thread.
"""
from __future__ import annotations

import os
import threading
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

"""Concurrent requests in one process do not oversubscribe the cores: heavy work waits its turn and gets
every core; light work never waits and takes one core while heavy work runs."""
import threading
import time

import torch

from attnviz.threads import ComputeGate


def test_heavy_work_waits_its_turn_and_light_work_takes_one_core():
    before = torch.get_num_threads()
    gate = ComputeGate(cores=4)
    inside, release, events = threading.Event(), threading.Event(), []

    def first():
        with gate.heavy() as threads:
            events.append(("first heavy", threads, torch.get_num_threads()))
            inside.set()
            release.wait(10)
        events.append(("first done",))

    worker = threading.Thread(target=first)
    worker.start()
    inside.wait(10)
    with gate.light() as threads:
        events.append(("light meanwhile", threads, torch.get_num_threads()))
    threading.Timer(0.2, release.set).start()
    start = time.perf_counter()
    with gate.heavy() as threads:
        events.append(("second heavy", threads, round(time.perf_counter() - start, 1) >= 0.1))
    worker.join(10)
    assert events == [("first heavy", 4, 4), ("light meanwhile", 1, 1), ("first done",), ("second heavy", 4, True)]
    with gate.light() as threads:
        assert threads == 4                                              # nothing heavy runs: every core
    assert torch.get_num_threads() == before                             # as it was

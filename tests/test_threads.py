"""Concurrent requests in one process do not oversubscribe the cores: heavy work waits its turn and gets
every core; light work never waits and takes one core while heavy work runs."""
import threading
import time

import pytest
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


def test_the_command_line_takes_the_cores_others_leave_free(tmp_path, monkeypatch):
    """free_cores reads the running count of /proc/loadavg (this process excluded), median of its samples."""
    from attnviz import threads

    loadavg = tmp_path / "loadavg"
    loadavg.write_text("3.10 2.00 1.00 4/300 12345\n", encoding="ascii")
    assert threads.running_elsewhere(samples=3, interval=0, loadavg=str(loadavg)) == 3
    loadavg.write_text("0.00 0.00 0.00 1/300 12345\n", encoding="ascii")
    assert threads.running_elsewhere(samples=1, loadavg=str(loadavg)) == 0
    assert threads.running_elsewhere(samples=1, loadavg=str(tmp_path / "missing")) == 0
    loadavg.write_text("junk\n", encoding="ascii")
    assert threads.running_elsewhere(samples=1, loadavg=str(loadavg)) == 0
    for others, cores, expected in ((0, 2, 2), (1, 2, 1), (3, 2, 1), (2, 16, 14)):
        monkeypatch.setattr(threads, "running_elsewhere", lambda others=others: others)
        assert threads.free_cores(cores) == expected


def test_a_busy_process_beside_takes_a_core_from_the_choice():
    import subprocess
    import sys
    import time

    from attnviz import threads

    if threads.usable_cores() < 2:
        pytest.skip("one usable core: nothing to give up")
    rival = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        assert threads.running_elsewhere() >= 1
    finally:
        rival.kill()

"""Background jobs (attnviz.jobs): asked for twice they run once, a rerun joins a running one, cancel stops
the work at its next model pass, and failed or cancelled jobs are forgotten."""
import threading

import pytest

from attnviz.explain import METHODS
from attnviz.jobs import Cancelled, JobBoard, Ticket
from attnviz.models.base import DecodingSettings
from attnviz.pipeline import run_method


def test_a_finished_job_is_kept_and_a_running_one_is_joined():
    board, calls, release = JobBoard(workers=2), [], threading.Event()

    def work(ticket):
        calls.append(1)
        release.wait(10)
        return 42

    first = board.submit("a", work)
    again = board.submit("a", work)                   # while it runs: the same job
    release.set()
    assert again is first and first.result(10) == 42
    assert board.submit("a", work).result(10) == 42  # finished: kept, not run again
    assert len(calls) == 1


def test_cancel_stops_the_work_at_its_next_check_and_forgets_it():
    board, started = JobBoard(workers=1), threading.Event()

    def work(ticket):
        ticket.start(10**9)
        for done in range(10**9):
            started.set()
            ticket.advance(done)
        return "never"

    job = board.submit("slow", work)
    started.wait(10)
    assert 0.0 <= job.progress < 1.0 and job.ticket.started
    assert board.cancel("slow")
    with pytest.raises(Cancelled):
        job.result(5)
    assert board.get("slow") is None                  # asked again, it starts afresh
    assert not board.cancel("slow")


def test_a_queued_job_cancelled_never_starts():
    board, release, ran = JobBoard(workers=1), threading.Event(), []
    board.submit("busy", lambda ticket: release.wait(10))
    queued = board.submit("queued", lambda ticket: ran.append(1))
    assert board.cancel("queued")
    release.set()
    board.get("busy").result(10)
    assert queued.future.cancelled() and not ran and board.get("queued") is None


def test_a_failed_job_is_forgotten_and_its_error_reaches_the_caller():
    board = JobBoard(workers=1)

    def fail(ticket):
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        board.submit("x", fail).result(10)
    assert board.get("x") is None
    assert board.submit("x", lambda ticket: "fine").result(10) == "fine"


def test_only_the_most_recent_results_are_kept():
    board = JobBoard(workers=1, keep=2)
    for key in "abc":
        board.submit(key, lambda ticket, key=key: key).result(10)
    assert board.get("a") is None and board.get("b").result() == "b" and board.get("c").result() == "c"


def test_a_method_on_the_model_reports_progress_and_can_be_cancelled_midway(summarizer):
    """The scorer's on_pass hook: occlusion's passes are reported as they happen, and a cancel lands
    between two batches, long before the method would have finished."""
    generation = summarizer.summarize("the cat sat on the mat and the dog barked at the cat " * 6,
                                      DecodingSettings(beam_size=1, min_len=4, max_len=4))
    board, seen = JobBoard(workers=1), []

    def work(ticket):
        scorer = summarizer.scorer(generation)
        scorer.batch_size = 4                           # many batches, so there are many checks
        forward, backward, _ = METHODS["occlusion"].passes(scorer.source_len, scorer.summary_len, {})
        ticket.start(forward + backward)

        def on_pass(done):
            seen.append(done)
            if len(seen) == 3:
                board.cancel("occlusion")
            ticket.advance(done)
        scorer.on_pass = on_pass
        return run_method(scorer, "occlusion", {})

    job = board.submit("occlusion", work)
    with pytest.raises(Cancelled):
        job.result(60)
    assert seen == [0, 4, 8]                            # passes done before each batch; stopped at the third
    assert job.ticket.expected > 60                     # of 19 batches


def test_the_progress_line_says_passes_time_spent_and_time_left(monkeypatch):
    from webpage.jobs import progress_text

    clock = [100.0]
    monkeypatch.setattr("attnviz.jobs.time.monotonic", lambda: clock[0])
    ticket = Ticket()
    assert progress_text("Computing LIME", ticket).endswith("waiting for another request on this server to finish…")
    ticket.start(400)
    clock[0] = 103.0
    assert progress_text("Computing LIME", ticket) == ("Computing LIME: 0 of 400 model passes · 3 s spent · "
                                                       "estimating the time left…")
    clock[0] = 110.0
    ticket.advance(100)
    assert progress_text("Computing LIME", ticket) == ("Computing LIME: 100 of 400 model passes · 10 s spent · "
                                                       "about 30 s left")
    ticket.advance(450)                                  # IG refines beyond its expected passes: never negative
    assert ticket.remaining == 0.0 and ticket.fraction == 1.0

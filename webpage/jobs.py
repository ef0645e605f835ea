"""The one way to run a long computation: ``submit`` a ``JobSpec`` on the server's job board, ``wait_for`` it
with progress, and a Cancel button. Attributions, their stability over seeds and removal measurements
(faithfulness) all go through it."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from attnviz.jobs import Job, Ticket
from attnviz.models.scorer import Scorer
from webpage import state
from webpage.request import Request
from webpage.services import compute_gate, job_board

POLL_SECONDS = 0.2          # how often a running job's progress is redrawn (and the run can be interrupted)
# While a job runs, what the previous run drew below its progress is out of date: hidden, not greyed, so that
# no earlier result can be mistaken for the new one (Streamlit greys it and keeps it until the run ends).
HIDE_STALE = '<style>[data-stale="true"] { display: none !important; }</style>'


@dataclass(frozen=True)
class JobSpec:
    """A long computation on a request's scorer: its key on the job board, how many model passes it makes
    on that scorer (its progress counts them), and what it returns."""

    key: str
    passes: Callable[[Scorer], int]
    compute: Callable[[Scorer], Any]


def submit(request: Request, spec: JobSpec) -> Job:
    """``spec`` on this request, running (or finished, or found running) under its key on the job board:
    it waits for the cores, then computes on a fresh scorer whose passes advance the job's progress."""
    gate = compute_gate()

    def work(ticket: Ticket) -> Any:
        with gate.heavy():
            scorer = request.scorer()
            ticket.start(spec.passes(scorer))
            scorer.on_pass = ticket.advance
            return spec.compute(scorer)
    return job_board().submit(spec.key, work)


def wait_for(job: Job, label: str, bar: Any) -> Any:
    """``job``'s result, drawing its progress in ``bar`` meanwhile. Each drawing lets Streamlit stop this run
    when the user touches the page: the job goes on, and the next run finds it again."""
    hide = st.empty()
    if not job.done:
        hide.html(HIDE_STALE)
    while not job.done:
        bar.progress(job.progress, text=progress_text(label, job.ticket))
        time.sleep(POLL_SECONDS)
    hide.empty()
    return job.result()


def progress_text(label: str, ticket: Ticket) -> str:
    """What the bar says: the passes done of all, the seconds spent and, once passes are done, the seconds
    left at the rate so far (or that the work waits for another request's)."""
    if not ticket.started:
        return f"{label}: waiting for another request on this server to finish…"
    left = ticket.remaining
    return (f"{label}: {ticket.done:,} of {ticket.expected:,} model passes · {ticket.elapsed:,.0f} s spent · "
            + ("estimating the time left…" if left is None else f"about {left:,.0f} s left"))


def cancel_button(keys: list[str], key: str) -> Any:
    """A Cancel button for the jobs under ``keys``, in a slot (→ the slot: empty it when they are done)."""
    slot = st.empty()
    slot.button("Cancel", key=key, on_click=cancel_jobs, args=(keys,),
                help="Stops the running computation within a model pass; finished results stay on the page.")
    return slot


def cancel_jobs(keys: list[str]) -> None:
    """Cancel the unfinished jobs among ``keys``; they are no longer asked for."""
    board, asked = job_board(), state.asked()
    for key in keys:
        job = board.get(key)
        if job is None or not job.done:
            board.cancel(key)
            asked.discard(key)
            removals = state.removals()
            for slot in [slot for slot, request in removals.items() if request == key]:
                del removals[slot]
    state.set_cancelled()

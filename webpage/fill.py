"""The fill step: everything that computes for the views, run before they draw. Attributions (and their
stability over seeds) asked for with Explain, faithfulness of the methods and of each head once its button
was pressed, counterfactual attention on request; each long computation is a job (``webpage.jobs``) whose
progress and Cancel button are drawn where its result belongs."""
from __future__ import annotations

import hashlib
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import streamlit as st

from attnviz.errors import AttnvizError
from attnviz.explain import METHODS, method_title
from attnviz.explain.cost import check_budget
from attnviz.explanation import ATTENTION, Explanation
from attnviz.faithfulness import head_scores, plan_removals
from attnviz.measures import Stability
from attnviz.pipeline import (
    DEFAULT_RANDOM_ORDERS,
    measure_faithfulness,
    measure_head_faithfulness,
    new_explanation,
    pointer_attributions,
    run_method,
    seed_runs,
)
from attnviz.stability import stability
from attnviz.types import Attribution
from webpage import state
from webpage.jobs import JobSpec, cancel_button, submit, wait_for
from webpage.request import Request
from webpage.services import compute_gate, job_board, load_summarizer
from webpage.widgets import Offer, plain, progress_bar

log = logging.getLogger("attnviz.app")


@dataclass(frozen=True)
class Removal:
    """A removal measurement offered on request: faithfulness of the methods, or of each attention head."""

    name: str                                                   # session and widget keys start with it
    label: str                                                  # the button, before its cost
    per_method: bool                                            # measured again when the methods change
    rankings: Callable[[Explanation], dict[str, np.ndarray]]    # what it ranks: {name: [T, S]}
    measure: Callable[[Explanation, Any], Explanation]          # (explanation, scorer) → filled in
    result: Callable[[Explanation], Any]                        # what ``measure`` filled in (the job's result)
    store: Callable[[Explanation, Any], None]


METHOD_FAITHFULNESS = Removal("faithfulness", "Measure faithfulness", True, lambda e: e.scores, measure_faithfulness,
                              lambda e: (e.faithfulness, e.faithfulness_cost), lambda e, r: e.set_faithfulness(*r))
HEAD_FAITHFULNESS = Removal("head-faithfulness", "Measure each head's faithfulness", False,
                            lambda e: head_scores(e.units.attention_layers), measure_head_faithfulness,
                            lambda e: e.head_faithfulness, lambda e, r: setattr(e, "head_faithfulness", r))


# ------------------------------------------------------------------ the jobs

def method_spec(request: Request, method: str) -> JobSpec:
    """``method`` on this request's summary → its ``Attribution``."""
    params = dict(request.settings.params_key(method))

    def passes(scorer: Any) -> int:
        forward, backward, _ = METHODS[method].passes(scorer.source_len, scorer.summary_len, params)
        return forward + backward
    return JobSpec(request.method_key(method), passes, lambda scorer: run_method(scorer, method, params))


def stability_spec(request: Request, first: Attribution) -> JobSpec:
    """``first``'s method run with the settings' seeds − 1 more seeds → its ``Stability``."""
    cfg, method = request.settings, first.method
    params = METHODS[method].resolve(first.params)

    def passes(scorer: Any) -> int:
        forward, backward, _ = METHODS[method].passes(scorer.source_len, scorer.summary_len, params)
        return (forward + backward) * (cfg.seeds - 1)

    def compute(scorer: Any) -> Stability:
        runs = [first, *seed_runs(scorer, method, params, cfg.seeds)]
        return stability(method, [r.params["seed"] for r in runs], [r.scores for r in runs],
                         scorer.generation.attention)
    return JobSpec(request.key(("stability", method, cfg.params_key(method), cfg.seeds)), passes, compute)


def removal_spec(explanation: Explanation, removal: Removal, forward_passes: int, key: str) -> JobSpec:
    """``removal`` measured on (a copy of) the explanation → its result."""
    copy = Explanation(explanation.generation, explanation.settings, dict(explanation.attributions),
                       features=explanation.features)
    return JobSpec(key, lambda _: forward_passes, lambda scorer: removal.result(removal.measure(copy, scorer)))


# ------------------------------------------------------------------ attributions

def pending_methods(request: Request) -> tuple[list[str], dict[str, str]]:
    """The selected methods not yet asked for on this request, and every selected method's job key.
    A method once asked for stays asked for: a rerun that interrupts it (a display setting changed, say)
    picks it up again instead of asking the user twice."""
    methods = request.settings.methods
    keys = {m: request.method_key(m) for m in methods}
    asked = state.asked()
    return [m for m in methods if keys[m] not in asked], keys


def attributions(request: Request) -> dict[str, Attribution]:
    """The results of every selected method asked for (found, or computed now), the pending ones included if
    the Explain button (drawn by ``views.costs``) was just pressed, and the stability of the sampling ones
    over seeds; drawn here meanwhile: progress, Cancel, and one message per failing method."""
    cfg = request.settings
    todo, keys = pending_methods(request)
    asked = state.asked()
    if todo and state.pressed(state.EXPLAIN_BUTTON):
        try:                                           # settings may have changed since the button was drawn
            check_budget(request.costs(todo))
            asked.update(keys[m] for m in todo)
        except AttnvizError:
            pass                                       # views.costs says why
    methods = [m for m in cfg.methods if keys[m] in asked]
    if state.take_cancelled():
        st.info("Cancelled. The results that had finished are kept; press Explain to run the rest.")
    results: dict[str, Attribution] = {}
    board = job_board()
    running = [keys[m] for m in methods if (job := board.get(keys[m])) is None or not job.done]
    cancel = cancel_button(running, "cancel-methods") if running else st.empty()
    bar = progress_bar() if running else st.empty()
    for i, method in enumerate(methods):
        try:
            results[method] = wait_for(submit(request, method_spec(request, method)),
                                       f"Computing {method_title(method)} ({i + 1} of {len(methods)})", bar)
            if cfg.seeds > 1 and METHODS[method].samples:
                stable = wait_for(submit(request, stability_spec(request, results[method])),
                                  f"{method_title(method)}: {cfg.seeds - 1} more seeds", bar)
                state.stabilities()[keys[method]] = stable
        except AttnvizError as exc:                    # this method only: the others and the page stay
            st.error(plain(f"{method_title(method)}: {exc}"))
            asked.discard(keys[method])                # it would fail again: ask before retrying
        except Exception as exc:  # noqa: BLE001 — a bug in one method must not take the page with it
            log.error("%s failed\n%s", method, traceback.format_exc())
            st.error(plain(f"{method_title(method)} failed ({type(exc).__name__}); the other results are shown. "
                           "This is a bug in attnviz, not your input: the details are in the server log."))
    cancel.empty()
    bar.empty()
    return results


def found_stability(request: Request, results: dict[str, Attribution]) -> dict[str, Stability]:
    """The stability of each computed sampling method at the current seeds, where it was measured."""
    seeds = request.settings.seeds
    if seeds < 2:
        return {}
    _, keys = pending_methods(request)
    found = state.stabilities()
    return {m: found[keys[m]] for m in results if keys[m] in found and len(found[keys[m]].seeds) == seeds}


def build_explanation(request: Request, attributions: dict[str, Attribution]) -> Explanation:
    """Attention (with its copy and generate shares if the settings split it), then the computed methods in
    registry order (with their parameters), compared; the methods explain the request's features."""
    cfg = request.settings
    explanation = new_explanation(load_summarizer(*cfg.model_key), request.generation, cfg.decoding, seed=cfg.seed,
                                  random_orders=DEFAULT_RANDOM_ORDERS,
                                  params={m: cfg.params[m] for m in METHODS if m in attributions},
                                  features=request.features)
    for split in pointer_attributions(explanation) if cfg.pointer_split else []:
        explanation.add(split)
    for name in METHODS:
        if name in attributions:
            explanation.add(attributions[name])
    explanation.compare()
    return explanation


def live_explanation(request: Request) -> Explanation:
    """The live page's explanation: attention and every method asked for, with their stability over seeds."""
    results = attributions(request)
    explanation = build_explanation(request, results)
    explanation.stability = found_stability(request, results) or None
    return explanation


# ------------------------------------------------------------------ measurements on request

def removal_request(request: Request, explanation: Explanation, removal: Removal, where: Any,
                    place: str = "") -> Offer | None:
    """Once asked for (for these methods, if it ranks them), ``removal``'s result stored in the explanation
    (computed now, with progress and Cancel drawn in the slot ``where``, or found) → None. Not asked for yet:
    → the offer of its button in ``where``. ``place`` tells apart the widgets of the same removal in
    different places of the page."""
    cfg = request.settings
    methods = tuple((m, cfg.params_key(m)) for m in explanation.attributions if m != ATTENTION and removal.per_method)
    plan = plan_removals(removal.rankings(explanation), random_orders=explanation.settings.random_orders, seed=cfg.seed)
    key = request.key((removal.name, methods, cfg.seed))
    removals, slot_key = state.removals(), place + removal.name
    button = f"{slot_key}-button"
    if removals.get(slot_key) != key:
        if not state.pressed(button):
            return Offer(where, removal.label, button, plan.forward_passes, cfg.model_key, request.text,
                         cfg.decoding).hold()
        removals[slot_key] = key
    job = submit(request, removal_spec(explanation, removal, plan.forward_passes, key))
    with where.container():
        cancel = cancel_button([key], f"cancel-{slot_key}") if not job.done else st.empty()
        bar = progress_bar()
    removal.store(explanation, wait_for(job, "Scoring the perturbed sources", bar))
    cancel.empty()
    bar.empty()
    return None


def counterfactual_key(explanation: Explanation) -> str:
    """The key of the explanation's summary (model, source and summary tokens) for counterfactual attention."""
    return hashlib.sha1(repr((explanation.settings.model, explanation.generation.source_tokens,
                              explanation.generation.summary_tokens)).encode("utf-8")).hexdigest()


def counterfactual(request: Request, explanation: Explanation) -> str | None:
    """Counterfactual attention into the explanation once its button was pressed (one teacher-forced pass of
    four rows), or as found in this session → the message of a request that failed, or None."""
    key, found = counterfactual_key(explanation), state.counterfactuals()
    error = None
    if key not in found and state.pressed(state.COUNTERFACTUAL_BUTTON):
        try:
            with compute_gate().light():
                summarizer = load_summarizer(*request.settings.model_key)
                found[key] = summarizer.counterfactual_attention(explanation.generation,
                                                                 seed=explanation.settings.seed)
        except AttnvizError as exc:
            error = str(exc)
    explanation.counterfactual = found.get(key)
    return error


@dataclass
class Filled:
    """What the fill step leaves the views: the buttons still to offer (drawn once the page is drawn), the
    counterfactual request's message, and a failure with the step it happened in. A failure stops the fill;
    the views raise it where that step is drawn, so that the page stops there as it did when views computed."""

    offers: list[Offer] = field(default_factory=list)
    counterfactual_error: str | None = None
    failed_step: str | None = None
    failure: Exception | None = None

    def check(self, step: str) -> None:
        """Raise the fill's failure if it happened in ``step``."""
        if self.failure is not None and self.failed_step == step:
            raise self.failure


def measurements(request: Request, explanation: Explanation, faithfulness_slot: Any, heads_slot: Any) -> Filled:
    """Fill the measurements asked for on the live page, in page order: faithfulness of the methods (slot
    ``faithfulness_slot``), counterfactual attention, each head's faithfulness (slot ``heads_slot``, for
    models with several heads)."""
    filled = Filled()
    steps: list[tuple[str, Callable[[], Any]]] = [
        (METHOD_FAITHFULNESS.name, lambda: removal_request(request, explanation, METHOD_FAITHFULNESS,
                                                                       faithfulness_slot)),
        ("counterfactual", lambda: counterfactual(request, explanation))]
    if multi_head(explanation):
        steps.append((HEAD_FAITHFULNESS.name, lambda: removal_request(request, explanation, HEAD_FAITHFULNESS,
                                                                                 heads_slot)))
    for step, run in steps:
        try:
            found = run()
        except Exception as exc:  # noqa: BLE001 — raised again by the views where this step is drawn
            filled.failed_step, filled.failure = step, exc
            break
        if isinstance(found, Offer):
            filled.offers.append(found)
        elif step == "counterfactual":
            filled.counterfactual_error = found
    return filled


def multi_head(explanation: Explanation) -> bool:
    """Whether the explanation's model has more than one attention layer or head."""
    layers = explanation.generation.attention_layers
    return layers.shape[0] * layers.shape[1] > 1

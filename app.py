"""attnviz: paste text, read the summary, inspect attention and attributions side by side. Run with `make run`.

The page shows one ``attnviz.explanation.Explanation``: built step by step for a pasted text (the summary
first, attribution methods when asked, faithfulness on request) or opened from an exported file and shown
as saved, without recomputing. It only wires widgets to the attnviz package; every token shown in HTML is
escaped by attnviz.plots. Summaries are cached per (text, model, settings); attribution methods and
faithfulness run as jobs on the server's job board (attnviz.jobs), which keeps their results, lets a rerun
find a running job again instead of throwing it away, and lets the user cancel one.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from attnviz.compare import METRIC_GUIDE, METRIC_LABELS, METRIC_RANGE, METRICS, head_agreement, nanmean
from attnviz.decoding import DecodingSettings
from attnviz.errors import AttnvizError, InputError
from attnviz.examples import load_examples
from attnviz.explain import METHODS
from attnviz.explain.base import Scorer
from attnviz.explain.cost import check_budget, estimate, seconds_per_pass
from attnviz.explain.gradients import convergence_note
from attnviz.explain.spec import Param
from attnviz.explain.counterfactual import counterfactual_attention
from attnviz.explained import (DEFAULT_RANDOM_ORDERS, features_scorer, measure_faithfulness, measure_head_faithfulness,
                               method_params, new_explanation, pointer_attributions, run_method, seed_runs)
from attnviz.explanation import ATTENTION, Explanation, versions
from attnviz.export import figure_html, long_frame
from attnviz.faithfulness import FRACTIONS, RANDOM, head_scores, plan_removals
from attnviz.features import GRANULARITIES, Features, make_features, parse_starts
from attnviz.jobs import Job, JobBoard, Ticket
from attnviz.normalise import is_signed, normalise
from attnviz.pipeline import DEFAULT_MODEL, MODELS_ENV, SummaryModel, available_models, load_model
from attnviz.plots import (agreement_figure, agreement_matrix_figure, attention_heatmap, attention_views,
                           counterfactual_figure, deletion_figure, focus_grid_html, head_agreement_figure,
                           head_faithfulness_figure, stability_figure, summary_chips_html, token_heatmap, visible)
from attnviz.stability import NOISE_SPREADS, stability, within_noise
from attnviz.textfile import decode_text
from attnviz.threads import ComputeGate
from attnviz.types import Attribution, Generation, Stability

st.set_page_config(page_title="attnviz", page_icon="🔎", layout="wide")
log = logging.getLogger("attnviz.app")

DEFAULT_METHODS = ["integrated_gradients", "occlusion"]
PAGE_MAX_SOURCE_TOKENS = 2000   # one click's attributions stay within minutes on a 2-core CPU
PATHS_ENV = "ATTNVIZ_MODEL_PATHS"   # "0": the sidebar offers only named models, no folder field
POLL_SECONDS = 0.2          # how often a running job's progress is redrawn (and the run can be interrupted)
WINDOW_ABOVE = 150          # longer sources get a column window so every tick label stays readable
ModelKey = tuple[str, str, int]   # (model name, device, source token limit)
BOUND_SIGN = {"exact": "", "at most": "≤ ", "at least": "≥ "}
NO_COMPARISON = "(none)"
COMPARE_WINDOW = 120        # source columns in a side-by-side heatmap (half the page wide)


@dataclass(frozen=True)
class PageSettings:
    """The sidebar: the model, decoding, methods (registry order) with their full parameters, display."""

    model: str
    device: str
    max_source_tokens: int
    decoding: DecodingSettings
    methods: tuple[str, ...]
    params: dict[str, dict[str, Any]]
    seed: int
    normalisation: str
    sign: str
    compare: str | None = None          # a second model shown side by side
    granularity: str = "tokens"         # what the methods explain: tokens, sentences or spans
    span_starts: tuple[int, ...] = ()   # where spans begin (granularity "spans")
    inside: int | None = None           # looking into the tokens of this sentence or span
    pointer_split: bool = False         # attention's copy and generate shares shown and measured as methods
    seeds: int = 1                      # seeds per sampling method (> 1: their stability is measured)

    @property
    def model_key(self) -> ModelKey:
        return self.model, self.device, self.max_source_tokens

    @property
    def features_key(self) -> tuple:
        return self.granularity, self.span_starts, self.inside

    def features(self, text: str, generation: Generation) -> Features | None:
        """The features the methods explain on this summary (None: tokens); InputError for spans that do
        not fit the source."""
        return make_features(generation, self.granularity, text=text, starts=self.span_starts, inside=self.inside)

    def scorer(self, text: str, generation: Generation) -> Scorer:
        """The model's scorer of this summary, on the features where there are some."""
        return features_scorer(load_summarizer(*self.model_key), generation, self.features(text, generation))

    def params_key(self, method: str) -> tuple[tuple[str, Any], ...]:
        return tuple(sorted(self.params.get(method, {}).items()))


MARKDOWN = "\\`*_[]<>$~|#"           # what can turn plain text into emphasis, links, HTML, maths or tables


def plain(text: str) -> str:
    """A message that may hold a user's text (a file name, a value) for st.error/st.warning, which render
    markdown: every markdown character escaped, invisible characters shown as code points."""
    return "".join("\\" + c if c in MARKDOWN else c for c in visible(text))


# ------------------------------------------------------------------ cached work (no widgets inside)

def load_summarizer(name: str, device: str, max_source_tokens: int) -> SummaryModel:
    """The model reading at most ``max_source_tokens`` (or the most it can read, if fewer)."""
    model = loaded_model(name, device)
    return model.limited(min(max_source_tokens, model.source_ceiling))


@st.cache_resource(show_spinner="Loading the model…")
def loaded_model(name: str, device: str) -> SummaryModel:
    """The model, loaded once per (name or folder, device) and warmed up: torch's first calls pay one-off
    costs that would otherwise land on the user's first Summarize."""
    summarizer = load_model(name, device=device)
    summarizer.summarize("The minister met the committee on Monday to discuss the budget.", DecodingSettings())
    return summarizer


@st.cache_resource
def warm_page() -> None:
    """Once per server: plotly builds its figure validators, and pyarrow its pandas conversion, on first use
    (about a second together), which would otherwise land on the first Summarize."""
    import plotly.io
    import pyarrow

    figure = token_heatmap(np.zeros((2, 2)), ["a", "b"], ["c", "d"], title="warm-up", signed=True)
    plotly.io.to_json(figure, validate=True)
    pyarrow.Table.from_pandas(pd.DataFrame({"method": ["a"], "value": [0.0]}))


@st.cache_resource
def compute_gate() -> ComputeGate:
    """One per server: the sessions' concurrent requests share the cores (attnviz.threads)."""
    return ComputeGate()


@st.cache_data(show_spinner="Summarizing…", max_entries=64)
def summarize(model_key: ModelKey, text: str, settings: DecodingSettings) -> Generation:
    with compute_gate().light():
        return load_summarizer(*model_key).summarize(text, settings)


@st.cache_resource
def job_board() -> JobBoard:
    """One per server: attribution and faithfulness runs, kept across reruns and sessions (attnviz.jobs)."""
    return JobBoard()


def method_job(cfg: PageSettings, text: str, generation: Generation, method: str, key: str) -> Job:
    """``method`` on this summary, running (or finished) under ``key`` on the server's job board."""
    gate, params = compute_gate(), dict(cfg.params_key(method))

    def work(ticket: Ticket) -> Attribution:
        with gate.heavy():
            scorer = cfg.scorer(text, generation)
            forward, backward, _ = METHODS[method].passes(scorer.source_len, scorer.summary_len, params)
            ticket.start(forward + backward)
            scorer.on_pass = ticket.advance
            return run_method(scorer, method, params)
    return job_board().submit(key, work)


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


def stability_job(cfg: PageSettings, text: str, generation: Generation, first: Attribution, key: str) -> Job:
    """``first``'s method run with ``cfg.seeds`` − 1 more seeds → its ``Stability``, on the job board."""
    gate, method = compute_gate(), first.method
    params = METHODS[method].resolve(first.params)

    def work(ticket: Ticket) -> Stability:
        with gate.heavy():
            scorer = cfg.scorer(text, generation)
            forward, backward, _ = METHODS[method].passes(scorer.source_len, scorer.summary_len, params)
            ticket.start((forward + backward) * (cfg.seeds - 1))
            scorer.on_pass = ticket.advance
            runs = [first, *seed_runs(scorer, method, params, cfg.seeds)]
            return stability(method, [r.params["seed"] for r in runs], [r.scores for r in runs],
                             scorer.generation.attention)
    return job_board().submit(key, work)


def removal_job(cfg: PageSettings, text: str, explanation: Explanation, removal: Removal, forward_passes: int,
                key: str) -> Job:
    """``removal`` measured on the explanation's summary → its result, on the server's job board."""
    gate = compute_gate()
    copy = Explanation(explanation.generation, explanation.settings, dict(explanation.attributions),
                       features=explanation.features)

    def work(ticket: Ticket) -> Any:
        with gate.heavy():
            scorer = cfg.scorer(text, explanation.generation)
            ticket.start(forward_passes)
            scorer.on_pass = ticket.advance
            return removal.result(removal.measure(copy, scorer))
    return job_board().submit(key, work)


def wait_for(job: Job, label: str, bar) -> Any:
    """``job``'s result, drawing its progress in ``bar`` meanwhile. Each drawing lets Streamlit stop this run
    when the user touches the page: the job goes on, and the next run finds it again."""
    while not job.done:
        bar.progress(job.progress, text=label if job.ticket.started else
                     f"{label}: waiting for another request on this server to finish…")
        time.sleep(POLL_SECONDS)
    return job.result()


def cancel_button(keys: list[str], key: str):
    """A Cancel button for the jobs under ``keys``, in a slot (→ the slot: empty it when they are done)."""
    slot = st.empty()
    slot.button("Cancel", key=key, on_click=cancel_jobs, args=(keys,),
                help="Stops the running computation within a model pass; finished results stay on the page.")
    return slot


def cancel_jobs(keys: list[str]) -> None:
    """Cancel the unfinished jobs among ``keys``; they are no longer asked for."""
    board, asked = job_board(), st.session_state.setdefault("asked", set())
    for key in keys:
        job = board.get(key)
        if job is None or not job.done:
            board.cancel(key)
            asked.discard(key)
            removals = st.session_state.setdefault("removals", {})
            for slot in [slot for slot, request in removals.items() if request == key]:
                del removals[slot]
    st.session_state["cancelled"] = True


@st.cache_data(show_spinner=False, max_entries=16)
def encoder_attention(model_key: ModelKey, text: str, settings: DecodingSettings, layer: int) -> np.ndarray:
    with compute_gate().light():
        return load_summarizer(*model_key).encoder_attention(summarize(model_key, text, settings), layer)


@st.cache_data(show_spinner=False, max_entries=64)
def pass_seconds(model_key: ModelKey, text: str, settings: DecodingSettings) -> tuple[float, float]:
    summarizer = load_summarizer(*model_key)
    scorer = summarizer.scorer(summarize(model_key, text, settings))
    with compute_gate().light():
        return seconds_per_pass(scorer, repeats=1)      # one batch each: the browser is drawing meanwhile


def build_explanation(summarizer: SummaryModel, generation: Generation, decoding: DecodingSettings,
                      attributions: dict[str, Attribution], params: dict[str, dict[str, Any]],
                      seed: int, features: Features | None = None, pointer_split: bool = False) -> Explanation:
    """Attention (with its copy and generate shares if ``pointer_split``), then the computed methods in registry
    order (with their ``params``), compared; the methods explain ``features`` (None: tokens)."""
    explanation = new_explanation(summarizer, generation, decoding, seed=seed, random_orders=DEFAULT_RANDOM_ORDERS,
                                  params={m: params[m] for m in METHODS if m in attributions}, features=features)
    for split in pointer_attributions(explanation) if pointer_split else []:
        explanation.add(split)
    for name in METHODS:
        if name in attributions:
            explanation.add(attributions[name])
    explanation.compare()
    return explanation


# ------------------------------------------------------------------ input

def set_text(text: str) -> None:
    st.session_state["text"] = text
    st.session_state.pop("inside", None)              # a sentence of the previous text means nothing here


def on_example() -> None:
    chosen = st.session_state.get("example")
    examples = {e["title"]: e for e in load_examples()}
    if chosen in examples:
        set_text(examples[chosen]["text"])


def on_upload() -> None:
    """Read the uploaded file into the text area; a bad file leaves the text as it was."""
    upload = st.session_state.get("upload")
    st.session_state.pop("upload_error", None)
    if upload is None:
        return
    try:
        text = decode_text(upload.getvalue(), upload.name)
        if not text.strip():
            raise InputError(f"{upload.name} is empty")
        set_text(text)
    except AttnvizError as exc:
        st.session_state["upload_error"] = f"{exc}. The text box was left as it was."


def on_open() -> None:
    """Open an exported explanation; a file that is not one leaves the page as it was."""
    upload = st.session_state.get("open")
    st.session_state.pop("open_error", None)
    if upload is None:                                 # the file was removed: back to the text box
        st.session_state.pop("opened", None)
        return
    try:
        st.session_state["opened"] = (upload.name, Explanation.loads(upload.getvalue()))
    except AttnvizError as exc:
        st.session_state["open_error"] = f"{upload.name}: {exc}."


def input_section() -> None:
    examples = load_examples()
    left, right = st.columns([2, 1])
    with left:
        st.selectbox("Example from the held-out news test split", [e["title"] for e in examples], index=None,
                     placeholder="Pick an example…", key="example", on_change=on_example)
    with right:
        st.file_uploader("…or upload a .txt file", type=["txt"], key="upload", on_change=on_upload)
    if "upload_error" in st.session_state:
        st.error(plain(st.session_state["upload_error"]))
    st.text_area("Text to summarize", key="text", height=180, placeholder="Paste a news article…")
    if st.button("Summarize", type="primary"):
        st.session_state["submitted"] = st.session_state.get("text", "")
        st.session_state.pop("opened", None)
    with st.expander("Open an exported explanation"):
        st.file_uploader("A JSON file from this page's export or `python -m attnviz explain --json`", type=["json"],
                         key="open", on_change=on_open)
    if "open_error" in st.session_state:
        st.error(plain(st.session_state["open_error"]))


# ------------------------------------------------------------------ settings

def sidebar() -> PageSettings:
    bar = st.sidebar
    bar.header("Settings")
    models = available_models() or [DEFAULT_MODEL]
    model = bar.selectbox("Model", models, index=models.index(DEFAULT_MODEL) if DEFAULT_MODEL in models else 0,
                          help=f"The shipped models and the folders in `${MODELS_ENV}`.")
    if os.environ.get(PATHS_ENV, "1") != "0":          # a public server can hide its file system
        folder = bar.text_input("…or a model folder on the server", key="model_folder",
                                placeholder="/path/to/a/save_pretrained/folder",
                                help="An attnviz checkpoint or a Hugging Face encoder-decoder (BART, mBART, T5, "
                                     "Marian, Pegasus) saved with save_pretrained: safetensors weights and its "
                                     f"tokenizer. `{PATHS_ENV}=0` hides this field.")
        model = folder.strip() or model
    others = [m for m in models if m != model]
    compare = bar.selectbox("Side by side with", [NO_COMPARISON] + others, key="compare_model",
                            help="A second model on the same text, in a column beside this one: its summary, "
                                 "attention, one method, their agreement and attention's faithfulness.")
    device = bar.selectbox("Device", ["auto", "cpu", "cuda"], key="device",
                           help="auto: the GPU when there is one, else the CPU")
    limit = checked_number(Param("source tokens", 400, "Read at most this many source tokens", low=20,
                                 high=PAGE_MAX_SOURCE_TOKENS), "", key="limit", step=50,
                           help="Longer texts are cut; the page says so. The model was trained on 120-token leads.")
    bar.subheader("Decoding")
    search = bar.radio("Search", ["beam", "greedy"], horizontal=True)
    beam = bar.slider("Beam size", 2, 8, 4) if search == "beam" else 1
    max_len = bar.slider("Maximum summary length (tokens)", 4, 40, 20)
    decoding = DecodingSettings(beam_size=beam, max_len=max_len, min_len=min(DecodingSettings.min_len, max_len))
    bar.subheader("Attributions")
    chosen = bar.multiselect("Methods (attention is always shown)", [m for m in METHODS if m != ATTENTION],
                             default=DEFAULT_METHODS)
    methods = tuple(m for m in METHODS if m in chosen)
    granularity, starts = granularity_controls(bar)
    budgets: dict[str, dict[str, Any]] = {m: {} for m in methods}
    with bar.expander("Budgets and seed"):
        for method in methods:
            for p in METHODS[method].params:
                if p.budget:
                    budgets[method][p.name] = checked_number(p, method, key=f"param-{method}-{p.name}", where=st)
        seed = checked_number(Param("seed", 0, "Seed (sampling methods and the random baseline)", low=0,
                                    high=2**31 - 1), "", key="seed", where=st)
        seeds = checked_number(Param("seeds", 1, "Seeds per sampling method (2 or more: how stable it is)", low=1,
                                     high=10), "", key="seeds", where=st,
                               help="LIME and KernelSHAP (and Partition SHAP's tie-breaks) run once per seed: the page "
                                    "then shows each one's spread, its rank stability and its agreement with "
                                    "attention ± that spread. Costs that many times the method.")
    bar.subheader("Display")
    norm = bar.radio("Normalisation", ["row_max_abs", "none"], horizontal=True,
                     format_func=lambda v: {"row_max_abs": "row max |score|", "none": "none"}[v])
    sign = bar.radio("Scores", ["signed", "absolute"], horizontal=True)
    split = bar.checkbox("Split attention into copying and generating", key="pointer_split",
                         help="A pointer-generator copies a source word with probability 1 − p_gen, spread by "
                              "attention, and generates with p_gen from the context attention builds. Shows "
                              "(1 − p_gen) · attention and p_gen · attention as two more rows, compared and "
                              "measured like methods.")
    return PageSettings(model=model, device=device, max_source_tokens=limit, decoding=decoding, methods=methods,
                        params=method_params(methods, budgets, seed), seed=seed, normalisation=norm, sign=sign,
                        compare=None if compare == NO_COMPARISON else compare, granularity=granularity,
                        span_starts=starts, inside=st.session_state.get("inside") if granularity != "tokens" else None,
                        pointer_split=split, seeds=seeds)


GRANULARITY_HELP = ("Tokens: every method explains each source token. Sentences (split by sentencex) or your own "
                    "spans: each is present or absent as a whole, so perturbation methods need far fewer passes "
                    "(each still reads the whole text); gradients and attention are summed per sentence. Look "
                    "into one sentence below the summary to explain its tokens.")


def granularity_controls(bar) -> tuple[str, tuple[int, ...]]:
    """The sidebar's granularity switch (and span starts) → (granularity, starts); bad starts: tokens, with
    a message."""
    granularity = bar.radio("Explain the source by", GRANULARITIES, horizontal=True, key="granularity",
                            help=GRANULARITY_HELP)
    if granularity != "spans":
        return granularity, ()
    raw = bar.text_input("Spans begin at source tokens", "0", key="span_starts",
                         help="Token positions, comma-separated (hover a heatmap cell for a token's position).")
    try:
        return granularity, tuple(parse_starts(raw))
    except InputError as exc:
        bar.error(plain(f"{exc}; explaining tokens until it is fixed."))
        return "tokens", ()


def checked_number(param: Param, owner: str, *, key: str, where: Any = None, **widget: Any) -> Any:
    """A number box for ``param`` (bounded by its page ceiling) that accepts anything typed and checks it:
    a value out of range, or not a number, keeps what was typed in the box, says why in one line, and the
    page goes on with the last good value (the default at first)."""
    high = param.high if param.page_high is None else param.page_high
    label = f"{param.label} ({param.low:,g}–{high:,g})"
    typed = (where or st.sidebar).number_input(label, value=param.default, key=key, **widget)
    try:
        value = param.check(owner, typed, high=high)
    except AttnvizError as exc:
        value = st.session_state.get(f"{key}-good", param.default)
        (where or st.sidebar).error(plain(f"{exc}; using {value:,} until it is fixed."))
        return value
    st.session_state[f"{key}-good"] = value
    return value


# ------------------------------------------------------------------ views of one Explanation

def summary_section(generation: Generation) -> None:
    st.subheader("Summary")
    st.html(summary_chips_html(generation, st.session_state.get("focus")))
    st.caption(f"{len(generation.source_tokens)} source tokens → {len(generation.summary_tokens)} summary tokens "
               f"on {generation.settings.get('device', 'an unknown device')}")
    if generation.truncated:
        more = ("Raise the limit in the sidebar to read more." if len(generation.source_tokens) < PAGE_MAX_SOURCE_TOKENS
                else f"The page reads at most {PAGE_MAX_SOURCE_TOKENS:,}; shorten the text to explain the rest.")
        st.warning(f"The text has {generation.truncated_from:,} tokens; the model read only the first "
                   f"{len(generation.source_tokens):,}. {more}")


def features_section(cfg: PageSettings, text: str, generation: Generation, features: Features | None) -> None:
    """With sentences or spans: how many, and the switch to look into one of them (its tokens explained with
    the rest of the text present) or back."""
    if features is None:
        return
    outer = make_features(generation, cfg.granularity, text=text, starts=cfg.span_starts)
    kind = outer.kind[:-1]
    options = [None, *range(outer.count)]
    if st.session_state.get("inside") not in options:
        st.session_state["inside"] = None
    st.selectbox(f"Look into a {kind}", options, key="inside",
                 format_func=lambda g: f"every {kind} ({outer.count})" if g is None else
                 f"{kind} {g} (tokens {outer.bounds[g][0]}–{outer.bounds[g][1] - 1}): {outer.short_labels()[g].split(': ', 1)[1]}",
                 help=f"Explain the tokens of one {kind}: only they are removed, the rest of the text stays present.")
    if cfg.inside is not None and features.kind == "tokens":
        st.caption(f"The methods explain the {features.count} tokens of {kind} {cfg.inside}; the rest of the text "
                   "is held present.")
    else:
        st.caption(f"The methods explain {outer.count} {outer.kind}: each one present or absent as a whole. Columns "
                   f"below are {outer.kind} (hover for the first words); attention and gradients are their tokens' sums.")


def heatmaps_section(explanation: Explanation, cfg: PageSettings, window: slice) -> dict[str, Any]:
    """Attention on the left, one tab per attribution method (with its note, if any) on the right;
    → the figures (for export)."""
    generation = explanation.generation
    st.subheader("Heatmaps")
    st.caption("Rows: summary tokens; columns: source tokens. Colours follow the sidebar's scaling; hover a cell for "
               "the pair and its raw score; drag to zoom, double-click to reset. Red raises the summary token's "
               "log-probability, blue lowers it; purple shows magnitudes only.")
    src = generation.source_tokens[window]
    figures = {name: token_heatmap(shown[:, window], generation.summary_tokens, src, title=name, signed=signed,
                                   source_offset=window.start, hover_values=explanation.scores[name][:, window])
               for name, (shown, signed) in display_scores(explanation, cfg).items()}
    left, right = st.columns(2)
    with left:
        views = attention_views(generation)
        if len(views) > 1:
            choice = st.selectbox("Attention layer and head", list(views), key="head")
            if views.get(choice, (None, None)) != (None, None):
                figures[ATTENTION] = attention_heatmap(generation, views[choice], window)
        st.plotly_chart(figures[ATTENTION], key="heatmap-attention", width="stretch")
    with right:
        others = [m for m in figures if m != ATTENTION]
        if not others:
            st.info("Pick attribution methods in the sidebar and press Explain to see them beside attention.")
        for tab, name in zip(st.tabs(others) if others else [], others):
            with tab:
                st.plotly_chart(figures[name], key=f"heatmap-{name}", width="stretch")
                if name == "integrated_gradients" and "all_rows_converged" in explanation.attributions[name].checks:
                    st.caption(convergence_note(explanation.attributions[name].checks))
    return figures


def display_scores(explanation: Explanation, cfg: PageSettings) -> dict[str, tuple[np.ndarray, bool]]:
    """{method: (scores [T, S] scaled as the sidebar says, whether to draw them signed)}."""
    return {m: (normalise(s, mode=cfg.normalisation, sign=cfg.sign), cfg.sign == "signed" and is_signed(s))
            for m, s in explanation.scores.items()}


def focus_section(explanation: Explanation, cfg: PageSettings, window: slice) -> int:
    """The summary-token selector and one aligned row per method; → the focused token."""
    generation = explanation.generation
    st.subheader("Token focus")
    t = len(generation.summary_tokens)
    if st.session_state.get("focus") is not None and not 0 <= st.session_state["focus"] < t:
        st.session_state["focus"] = 0
    focus = st.selectbox("Summary token", list(range(t)), key="focus",
                         format_func=lambda i: f"#{i} {generation.summary_tokens[i]}")
    st.caption("Each row is one method's view of the source for the focused summary token, on the same columns: "
               "the darker the cell, the larger the score (row-scaled as chosen in the sidebar).")
    shown = display_scores(explanation, cfg)
    rows = {name: scores[focus, window] for name, (scores, _) in shown.items()}
    st.html(focus_grid_html(generation.source_tokens[window], rows, {m: s for m, (_, s) in shown.items()},
                            source_offset=window.start))
    if explanation.stability:
        bands = {m: (s.mean[focus, window], s.std[focus, window]) for m, s in explanation.stability.items()}
        st.plotly_chart(stability_figure(generation.source_tokens[window], bands, source_offset=window.start,
                                         focus_label=f"#{focus} {generation.summary_tokens[focus]}"),
                        key="stability-band", width="stretch")
    return focus


def agreement_section(explanation: Explanation, focus: int) -> None:
    st.subheader("Agreement")
    agreement = explanation.compare()
    if len(agreement.methods) < 2:
        st.info("Run attribution methods (sidebar, then Explain) to compare them with attention.")
        return
    metric = st.selectbox("Metric", METRICS, index=METRICS.index("spearman_rho"), key="metric",
                          format_func=lambda m: METRIC_LABELS[m])
    st.caption(METRIC_GUIDE[metric] + " Scores are compared as magnitudes (|score|); tokens where a method gives "
               "every source token the same score are left out of the means.")
    left, right = st.columns(2)
    with left:
        st.plotly_chart(agreement_matrix_figure(agreement.matrices[metric], agreement.methods, metric), width="stretch")
    per_token = {m: rows[metric] for m, rows in agreement.with_attention.items()}
    tokens = explanation.generation.summary_tokens
    with right:
        st.plotly_chart(agreement_figure(per_token, tokens, focus=focus, y_range=METRIC_RANGE[metric],
                                         title=f"{METRIC_LABELS[metric]} with attention, per summary token"),
                        width="stretch")
    token = f"#{focus} {tokens[focus]}"
    st.dataframe(pd.DataFrame([{"method": m, f"with attention, for {token}": v[focus],
                                "with attention, mean over the summary": nanmean(v)} for m, v in per_token.items()]),
                 hide_index=True)
    if explanation.stability:
        stability_table(explanation, metric, per_token)
    layers = explanation.generation.attention_layers
    if layers.shape[0] * layers.shape[1] > 1:
        heads_agreement(explanation, metric)


def stability_table(explanation: Explanation, metric: str, per_token: dict[str, np.ndarray]) -> None:
    """Each method's agreement with attention as mean ± std over seeds (one run: ± 0), its rank stability,
    and which other methods' agreement lies within the noise of the seeds."""
    spread = {m: (nanmean(v), 0.0) for m, v in per_token.items()}
    spread.update({m: (float(s.with_attention[metric].mean()), float(s.with_attention[metric].std()))
                   for m, s in explanation.stability.items() if s.with_attention is not None})
    rows = []
    for m, (mean, std) in spread.items():
        stable = explanation.stability.get(m)
        close = [o for o, (other, other_std) in spread.items() if o != m and within_noise(mean, other, [std, other_std])]
        rows.append({"method": m, f"{METRIC_LABELS[metric]} with attention over seeds": f"{mean:.3f} ± {std:.3f}",
                     "seeds": len(stable.seeds) if stable else 1,
                     "rank τ between seeds": f"{stable.mean_rank_tau:.3f}" if stable else "1 (deterministic)",
                     "within the noise of": ", ".join(close) or "–"})
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    st.caption(f"Over seeds: a difference in agreement smaller than {NOISE_SPREADS:g} standard deviations of the "
               "seeds is noise, not a difference between methods.")


def heads_agreement(explanation: Explanation, metric: str) -> None:
    """Which layer and head's attention agrees best with a chosen method (layers × heads, mean over tokens)."""
    methods = [m for m in explanation.attributions if m != ATTENTION]
    method = st.selectbox("Each head's attention against", methods, key="head_method")
    matrix = head_agreement(explanation.generation.attention_layers, explanation.scores[method], metric)
    st.plotly_chart(head_agreement_figure(matrix, method, metric), key="head-agreement",
                    width="stretch")
    if np.isfinite(matrix).any():
        best = np.nanargmin(matrix) if metric == "js_distance" else np.nanargmax(matrix)
        layer, head = divmod(int(best), matrix.shape[1])
        st.caption(f"Best: layer {layer}, head {head} ({METRIC_LABELS[metric]} {matrix[layer, head]:.3f}); the "
                   f"average over every head gives {nanmean(explanation.agreement.with_attention[method][metric]):.3f}.")


FAITHFULNESS_GUIDE = ("Remove each method's top-ranked source tokens (1, 5, 10, 20, 50%) and watch the summary "
                      "token's log-probability. Comprehensiveness = the drop when they are removed (higher: the method "
                      "found what the token needs); sufficiency = the drop when only they are kept (lower is better); "
                      "AOPC averages over the fractions. 'random' ranks the source at random: a method should beat it "
                      "by more than its spread.")


def removal_request(cfg: PageSettings, text: str, explanation: Explanation,
                    removal: Removal = METHOD_FAITHFULNESS, place: str = "") -> Callable[[], None] | None:
    """Once asked for (for these methods, if it ranks them), the figures (computed now or found) → None.
    Otherwise a slot for the button and → the function that draws it with its exact cost once the rest of the
    page is drawn (the cost is timed on this input; the press is read at the start of the next run).
    ``place`` tells apart the widgets of the same request in different places of the page."""
    methods = tuple((m, cfg.params_key(m)) for m in explanation.attributions if m != ATTENTION and removal.per_method)
    plan = plan_removals(removal.rankings(explanation), random_orders=explanation.settings.random_orders, seed=cfg.seed)
    request = _request_key(cfg, text, (removal.name, methods, cfg.seed))
    removals, slot_key = st.session_state.setdefault("removals", {}), place + removal.name
    button = f"{slot_key}-button"
    if removals.get(slot_key) != request:
        if not st.session_state.get(button):
            slot = st.empty()

            def offer() -> None:
                seconds = plan.forward_passes * pass_seconds(cfg.model_key, text, cfg.decoding)[0]
                slot.button(f"{removal.label} ({plan.forward_passes:,} forward passes, ≈ {seconds:.0f} s)", key=button)
            return offer
        removals[slot_key] = request
    job = removal_job(cfg, text, explanation, removal, plan.forward_passes, request)
    cancel = cancel_button([request], f"cancel-{slot_key}") if not job.done else st.empty()
    bar = st.progress(0.0)
    removal.store(explanation, wait_for(job, "Scoring the perturbed sources", bar))
    cancel.empty()
    bar.empty()
    return None


def faithfulness_section(explanation: Explanation, focus: int) -> None:
    """Comprehensiveness, sufficiency, AOPC and deletion curves for every method and chance."""
    figures = explanation.faithfulness
    if figures is None:
        return
    rows = []
    for name, f in figures.items():
        spread = f.aopc_spread or {}
        rows.append({"method": name,
                     "AOPC comprehensiveness": _with_spread(f.aopc_comprehensiveness, spread.get("comprehensiveness")),
                     "AOPC sufficiency": _with_spread(f.aopc_sufficiency, spread.get("sufficiency")),
                     f"comprehensiveness, #{focus}": f"{f.comprehensiveness[focus].mean():.3f}",
                     f"sufficiency, #{focus}": f"{f.sufficiency[focus].mean():.3f}"})
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    tokens = explanation.generation.summary_tokens
    scope = st.radio("Deletion curves for", ["the whole summary", f"token #{focus} {tokens[focus]}"],
                     horizontal=True, key="curve_scope")
    whole = scope == "the whole summary"
    curves = {name: f.deletion_curve if whole else f.deletion[focus] for name, f in figures.items()}
    spread = figures[RANDOM].curve_std if whole else None
    st.plotly_chart(deletion_figure(curves, FRACTIONS, spread=spread), width="stretch")
    cost = explanation.faithfulness_cost or {}
    if "distinct_masks" in cost:
        st.caption(f"{cost['distinct_masks']:,} distinct perturbed sources, {cost.get('seconds', 0):.1f} s.")


def _with_spread(value: float, std: float | None) -> str:
    return f"{value:.3f}" + (f" ± {std:.3f}" if std is not None else "")


def _request_key(cfg: PageSettings, text: str, what: tuple) -> str:
    """What a result depends on (the model, text, decoding, features and ``what``), hashed (texts can be long)."""
    return hashlib.sha1(repr((cfg.model_key, text, cfg.decoding, cfg.features_key, what)).encode("utf-8")).hexdigest()


def export_section(explanation: Explanation, figures: dict[str, Any]) -> None:
    st.subheader("Export")
    st.caption("CSV: one row per (method, summary token, source token) with the raw score. JSON: the whole "
               "explanation (summary, scores, agreement, faithfulness, settings, package versions); it opens again "
               "here under 'Open an exported explanation'. HTML: each figure as a standalone page. "
               "The camera icon on each figure saves a PNG.")
    cols = st.columns(2 + len(figures))
    # Each file is built when its button is clicked, not on every rerun (a figure's HTML inlines plotly.js).
    cols[0].download_button("CSV (long format)", partial(csv_text, explanation.attributions),
                            file_name="attnviz-scores.csv", mime="text/csv", key="download-csv")
    cols[1].download_button("JSON (everything)", explanation.dumps, file_name="attnviz.json",
                            mime="application/json", key="download-json")
    for col, (name, figure) in zip(cols[2:], figures.items()):
        col.download_button(f"{name} (HTML)", partial(figure_html, figure), file_name=f"attnviz-{name}.html",
                            mime="text/html", key=f"download-html-{name}")


def csv_text(attributions: dict[str, Attribution]) -> str:
    return long_frame(attributions).to_csv(index=False)


def source_window(generation: Generation) -> slice:
    s = len(generation.source_tokens)
    if s <= WINDOW_ABOVE:
        return slice(0, s)
    start, end = st.slider("Source tokens shown (for long texts; hover and exports keep absolute positions)",
                           0, s, (0, min(s, 120)), key="window")
    start = min(start, s - 1)                         # a window is never empty, even at (S, S)
    return slice(start, max(end, start + 1))


def explanation_views(explanation: Explanation, cfg: PageSettings,
                      request: Callable[[Explanation, Removal], Callable[[], None] | None] | None = None
                      ) -> list[Callable[[], None]]:
    """Everything below the summary; ``request(explanation, removal)`` fills faithfulness (of the methods, or
    of each head) on request (live page) and may return what to draw once the page is drawn (→ returned).
    Subword models can be read by words (each word's attention and scores summed over its pieces) or by
    pieces; the exports keep pieces."""
    shown = words = explanation.by_words()
    if explanation.features is not None:
        shown = explanation.viewed(short=True)
    elif words is not explanation:
        units = st.radio("Source units", ["words", "pieces"], horizontal=True, key="units",
                         help="Words: attention and scores summed over each word's subword pieces. The exports "
                              "keep pieces, with the word of each piece.")
        shown = words if units == "words" else explanation
    window = source_window(shown.generation)
    figures = heatmaps_section(shown, cfg, window)
    focus = focus_section(shown, cfg, window)
    agreement_section(shown, focus)
    st.subheader("Faithfulness")
    st.caption(FAITHFULNESS_GUIDE)
    late = [request(explanation, METHOD_FAITHFULNESS)] if request is not None else []
    if request is None and explanation.faithfulness is None:
        st.info("This explanation was exported without faithfulness figures.")
    faithfulness_section(explanation, focus)
    counterfactual_section(explanation, cfg, live=request is not None)
    layers = explanation.generation.attention_layers
    if layers.shape[0] * layers.shape[1] > 1:
        st.markdown("**Which head is most faithful?** Each layer and head's attention, taken as a ranking of the "
                    "source, measured like a method (on pieces).")
        late.append(request(explanation, HEAD_FAITHFULNESS) if request is not None else None)
        head_faithfulness_section(explanation, exported=request is None)
    export_section(explanation, figures)
    return [offer for offer in late if offer is not None]


COUNTERFACTUAL_BUTTON = "counterfactual-button"


def counterfactual_section(explanation: Explanation, cfg: PageSettings, *, live: bool) -> None:
    """Counterfactual attention: on request (live page; one teacher-forced pass of four rows), or as exported."""
    st.markdown("**Does the model need its attention?** Re-score the summary with each step's attention spread "
                "evenly over the source, shuffled, or without its 3 most attended tokens (Jain & Wallace 2019).")
    result = explanation.counterfactual
    if result is None and live:
        key = hashlib.sha1(repr((explanation.settings.model, explanation.generation.source_tokens,
                                 explanation.generation.summary_tokens)).encode("utf-8")).hexdigest()
        found = st.session_state.setdefault("counterfactuals", {})
        if key not in found and st.button("Counterfactual attention (1 teacher-forced pass of 4 rows)",
                                          key=COUNTERFACTUAL_BUTTON):
            try:
                with compute_gate().light():
                    summarizer = load_summarizer(*cfg.model_key)
                    found[key] = counterfactual_attention(summarizer.scorer(explanation.generation),
                                                          seed=explanation.settings.seed)
            except AttnvizError as exc:
                st.error(plain(str(exc)))
        result = explanation.counterfactual = found.get(key)
    if result is None:
        return
    st.dataframe(pd.DataFrame([{"attention": v.replace("_", " "), "mean Δ log-prob": f["mean_change"],
                                "largest drop": f["largest_drop"], "greedy token kept": f"{f['same_greedy_share']:.0%}"}
                               for v, f in result.summary().items()]), hide_index=True)
    st.plotly_chart(counterfactual_figure(result.change, explanation.generation.summary_tokens),
                    key="counterfactual", width="stretch")


def head_faithfulness_section(explanation: Explanation, *, exported: bool) -> None:
    """Each head's AOPC comprehensiveness or sufficiency as a layers × heads map, the best head named."""
    heads = explanation.head_faithfulness
    if heads is None:
        if exported:
            st.caption("This explanation was exported without each head's faithfulness.")
        return
    measure = st.radio("Per head", ["comprehensiveness", "sufficiency"], horizontal=True, key="head_measure")
    st.plotly_chart(head_faithfulness_figure(heads, measure), key="head-faithfulness", width="stretch")
    layer, head = heads.most_faithful()
    chance, spread = heads.random["comprehensiveness"], heads.random["comprehensiveness_std"]
    st.caption(f"Most comprehensive: layer {layer}, head {head} (AOPC {heads.comprehensiveness[layer, head]:.3f}; "
               f"random order {chance:.3f} ± {spread:.3f}). {heads.cost.get('distinct_masks', 0):,} distinct "
               f"perturbed sources, {heads.cost.get('seconds', 0):.1f} s.")


# ------------------------------------------------------------------ the two ways in

EXPLAIN_BUTTON = "explain-button"


def method_costs(cfg: PageSettings, text: str, generation: Generation, methods: list[str]) -> list:
    """The cost of each method on this input, from one timed forward and backward batch (cached per text)."""
    per_forward, per_backward = pass_seconds(cfg.model_key, text, cfg.decoding)
    features = cfg.features(text, generation)
    units = len(generation.source_tokens) if features is None else features.count
    return estimate(methods, cfg.params, units, len(generation.summary_tokens), per_forward, per_backward)


def pending_methods(cfg: PageSettings, text: str) -> tuple[list[str], dict[str, str]]:
    """The selected methods not yet asked for on this request, and every selected method's request key.
    A method once asked for stays asked for: a rerun that interrupts it (a display setting changed, say)
    picks it up again instead of asking the user twice."""
    keys = {m: _request_key(cfg, text, ((m, cfg.params_key(m)),)) for m in cfg.methods}
    asked = st.session_state.setdefault("asked", set())
    return [m for m in cfg.methods if keys[m] not in asked], keys


def run_attributions(cfg: PageSettings, text: str, generation: Generation) -> dict[str, Attribution]:
    """The results of every selected method asked for (cached, or computed now), the pending ones included if
    the Explain button (drawn into its slot by ``offer_explain``) was just pressed; with progress."""
    todo, keys = pending_methods(cfg, text)
    if todo and st.session_state.get(EXPLAIN_BUTTON):
        try:                                           # settings may have changed since the button was drawn
            check_budget(method_costs(cfg, text, generation, todo))
            st.session_state["asked"].update(keys[m] for m in todo)
        except AttnvizError:
            pass                                       # offer_explain says why
    methods = [m for m in cfg.methods if keys[m] in st.session_state["asked"]]
    if st.session_state.pop("cancelled", False):
        st.info("Cancelled. The results that had finished are kept; press Explain to run the rest.")
    results: dict[str, Attribution] = {}
    board = job_board()
    running = [keys[m] for m in methods if (job := board.get(keys[m])) is None or not job.done]
    cancel = cancel_button(running, "cancel-methods") if running else st.empty()
    bar = st.progress(0.0) if running else st.empty()
    for i, method in enumerate(methods):
        try:
            results[method] = wait_for(method_job(cfg, text, generation, method, keys[method]),
                                       f"Computing {method} ({i + 1} of {len(methods)})", bar)
            if cfg.seeds > 1 and METHODS[method].samples:
                key = _request_key(cfg, text, ("stability", method, cfg.params_key(method), cfg.seeds))
                stable = wait_for(stability_job(cfg, text, generation, results[method], key),
                                  f"{method}: {cfg.seeds - 1} more seeds", bar)
                st.session_state.setdefault("stability", {})[keys[method]] = stable
        except AttnvizError as exc:                    # this method only: the others and the page stay
            st.error(plain(f"{method}: {exc}"))
            st.session_state["asked"].discard(keys[method])             # it would fail again: ask before retrying
        except Exception as exc:  # noqa: BLE001 — a bug in one method must not take the page with it
            log.error("%s failed\n%s", method, traceback.format_exc())
            st.error(plain(f"{method} failed ({type(exc).__name__}); the other results are shown. This is a bug in "
                           "attnviz, not your input: the details are in the server log."))
    cancel.empty()
    bar.empty()
    return results


def found_stability(cfg: PageSettings, text: str, results: dict[str, Attribution]) -> dict[str, Stability]:
    """The stability of each computed sampling method at the current seeds, where it was measured."""
    if cfg.seeds < 2:
        return {}
    _, keys = pending_methods(cfg, text)
    found = st.session_state.get("stability", {})
    return {m: found[keys[m]] for m in results if keys[m] in found and len(found[keys[m]].seeds) == cfg.seeds}


def offer_explain(cfg: PageSettings, text: str, generation: Generation, slot, sidebar_slot) -> None:
    """The cost of every selected method in the sidebar and, for the pending ones, the Explain button (or why
    they are too long for one click) in ``slot``. Runs after the heatmaps are drawn: the estimate times a
    forward and a backward batch on this input (about a second on 400 tokens)."""
    if not cfg.methods:
        return
    costs = method_costs(cfg, text, generation, list(cfg.methods))
    lines = [f"- **{c.method}**: {BOUND_SIGN[c.bound]}{c.forward_passes:,} forward"
             + (f" + {c.backward_passes:,} backward" if c.backward_passes else "") + f", ≈ {c.seconds:.1f} s"
             for c in costs]
    sidebar_slot.markdown("**Estimated cost on this input**\n\n" + "\n".join(lines))
    todo, _ = pending_methods(cfg, text)
    if not todo:
        return
    with slot.container():
        try:
            check_budget([c for c in costs if c.method in todo])     # too long for one click: say so
        except AttnvizError as exc:
            st.error(plain(str(exc)))
            return
        seconds = sum(c.seconds for c in costs if c.method in todo)
        st.button(f"Explain with {len(todo)} method{'s' * (len(todo) > 1)} (≈ {seconds:.0f} s)", key=EXPLAIN_BUTTON)
        st.caption("Attributions run when you ask: their cost is in the sidebar.")


def live_page(cfg: PageSettings) -> None:
    summarizer = load_summarizer(*cfg.model_key)
    warm_page()
    st.sidebar.caption(f"Device in use: **{summarizer.device}** · model {plain(summarizer.name)}")
    if summarizer.max_source_tokens < cfg.max_source_tokens:
        st.sidebar.caption(f"This model reads at most {summarizer.max_source_tokens:,} source tokens.")
    text = st.session_state.get("submitted")
    if text is None:
        return
    sidebar_slot = st.sidebar.empty()
    generation = summarize(cfg.model_key, text, cfg.decoding)
    try:
        features = cfg.features(text, generation)
    except AttnvizError as exc:                       # spans that do not fit this source: tokens meanwhile
        st.error(plain(f"{exc}; explaining tokens until it is fixed."))
        cfg, features = replace(cfg, granularity="tokens", span_starts=(), inside=None), None
    offers = []
    if cfg.compare:
        try:
            offers = comparison_section(cfg, text)
        except AttnvizError as exc:                   # the second model alone: this model's views go on
            st.error(plain(f"{cfg.compare}: {exc}"))
    summary_section(generation)
    features_section(cfg, text, generation, features)
    explain_slot = st.empty()
    results = run_attributions(cfg, text, generation)
    explanation = build_explanation(summarizer, generation, cfg.decoding, results, cfg.params, cfg.seed, features,
                                    cfg.pointer_split)
    explanation.stability = found_stability(cfg, text, results) or None
    if cfg.pointer_split and generation.p_gen is None:
        st.caption("This model has no pointer: its attention is not split into copying and generating.")
    offers += explanation_views(explanation, cfg, lambda e, removal: removal_request(cfg, text, e, removal))
    encoder_section(cfg, text, summarizer, generation)
    offer_explain(cfg, text, generation, explain_slot, sidebar_slot)
    for offer in offers:
        offer()


# ------------------------------------------------------------------ two models side by side

COMPARE_BUTTON = "compare-explain"


def comparison_section(cfg: PageSettings, text: str) -> list[Callable[[], None]]:
    """Both models on the same text, a column each: summary, attention (per layer and head where there are
    several), one chosen method, its agreement with that model's attention, and faithfulness of both on
    request; one JSON export holds both explanations. → the buttons to draw once the page is drawn."""
    st.subheader("Side by side")
    methods = [m for m in METHODS if m != ATTENTION]
    method = st.selectbox("Method in both columns", methods, key="compare_method",
                          index=methods.index(cfg.methods[0]) if cfg.methods else methods.index("occlusion"))
    params = method_params([method], {method: cfg.params.get(method, {})}, cfg.seed)[method]
    tokens = replace(cfg, granularity="tokens", span_starts=(), inside=None)        # the columns compare tokens
    configs = [replace(c, params={**c.params, method: params}) for c in (tokens, replace(tokens, model=cfg.compare))]
    generations = [summarize(c.model_key, text, c.decoding) for c in configs]
    keys = [_request_key(c, text, ((method, c.params_key(method)),)) for c in configs]
    asked = st.session_state.setdefault("asked", set())
    if st.session_state.get(COMPARE_BUTTON):
        asked.update(keys)
    button_slot = st.empty()
    offers, explanations = [], []
    for place, (c, generation, key, column) in enumerate(zip(configs, generations, keys, st.columns(2))):
        with column:
            explanation, offer = comparison_column(c, text, generation, method, key in asked, f"compare-{place}-")
            explanations.append(explanation)
            offers += [offer] if offer is not None else []
    if any(key not in asked for key in keys):
        seconds = sum(method_costs(c, text, g, [method])[0].seconds for c, g in zip(configs, generations))
        button_slot.button(f"Run {method} on both models (≈ {seconds:.0f} s)", key=COMPARE_BUTTON)
    st.download_button("JSON (both models)", partial(comparison_json, explanations), file_name="attnviz-comparison.json",
                       mime="application/json", key="download-comparison")
    st.divider()
    st.subheader(f"{cfg.model} in detail")
    return offers


def comparison_column(cfg: PageSettings, text: str, generation: Generation, method: str, asked: bool,
                      place: str) -> tuple[Explanation, Callable[[], None] | None]:
    """One model's column of the side-by-side view (widget keys start with ``place``); → its explanation and
    the faithfulness button to draw later (if not yet asked for)."""
    summarizer = load_summarizer(*cfg.model_key)
    st.markdown(f"**{plain(cfg.model)}**")
    st.html(summary_chips_html(generation, None))
    results = {}
    if asked:
        key, bar = _request_key(cfg, text, ((method, cfg.params_key(method)),)), st.progress(0.0)
        try:
            results[method] = wait_for(method_job(cfg, text, generation, method, key), f"Computing {method}", bar)
        except AttnvizError as exc:
            st.error(plain(f"{method}: {exc}"))
            st.session_state["asked"].discard(key)
        bar.empty()
    explanation = build_explanation(summarizer, generation, cfg.decoding, results, cfg.params, cfg.seed)
    window = slice(0, min(len(generation.source_tokens), COMPARE_WINDOW))
    views = attention_views(generation)
    view = views[st.selectbox("Attention layer and head", list(views), key=f"{place}head")] if len(views) > 1 \
        else (None, None)
    st.plotly_chart(attention_heatmap(generation, view, window), key=f"{place}attention", width="stretch")
    if len(generation.source_tokens) > COMPARE_WINDOW:
        st.caption(f"The first {COMPARE_WINDOW} of {len(generation.source_tokens):,} source tokens.")
    if method in explanation.attributions:
        shown, signed = display_scores(explanation, cfg)[method]
        st.plotly_chart(token_heatmap(shown[:, window], generation.summary_tokens, generation.source_tokens[window],
                                      title=method, signed=signed, hover_values=explanation.scores[method][:, window]),
                        key=f"{place}method", width="stretch")
        agreement = explanation.compare().with_attention[method]
        st.dataframe(pd.DataFrame([{"with attention": METRIC_LABELS[m], "mean over the summary": nanmean(agreement[m])}
                                   for m in METRICS]), hide_index=True)
    offer = removal_request(cfg, text, explanation, METHOD_FAITHFULNESS, place)
    if explanation.faithfulness is not None:
        st.dataframe(pd.DataFrame([{"method": name, "AOPC comprehensiveness": f.aopc_comprehensiveness,
                                    "AOPC sufficiency": f.aopc_sufficiency}
                                   for name, f in explanation.faithfulness.items()]), hide_index=True)
    return explanation, offer


def comparison_json(explanations: list[Explanation]) -> str:
    """Both explanations of the side-by-side view in one file ("attnviz-comparison"; each is the usual
    explanation document and opens alone in the page)."""
    return json.dumps({"format": "attnviz-comparison", "format_version": 1,
                       "explanations": [e.to_json() for e in explanations]}, ensure_ascii=False, allow_nan=False)


def encoder_section(cfg: PageSettings, text: str, summarizer: SummaryModel, generation: Generation) -> None:
    """The encoder's self-attention, one layer and head at a time (transformer encoders only)."""
    if not summarizer.encoder_layers:
        return
    with st.expander("Encoder self-attention (source token ← source token)"):
        left, right = st.columns(2)
        layer = left.selectbox("Encoder layer", list(range(summarizer.encoder_layers)), key="encoder_layer")
        heads = encoder_attention(cfg.model_key, text, cfg.decoding, layer)
        head = right.selectbox("Head", list(range(heads.shape[0])), key="encoder_head")
        tokens = generation.source_tokens
        window = slice(0, min(len(tokens), WINDOW_ABOVE))
        st.caption(f"Row i: what source token i reads in layer {layer}, head {head}" +
                   (f" (the first {WINDOW_ABOVE} tokens)." if len(tokens) > WINDOW_ABOVE else "."))
        st.plotly_chart(token_heatmap(heads[head][window, window], tokens[window], tokens[window],
                                      title=f"encoder layer {layer}, head {head}"), key="encoder-heatmap",
                        width="stretch")


def opened_page(cfg: PageSettings, name: str, explanation: Explanation) -> None:
    st.info(f"Showing the exported explanation {plain(name)} as it was saved (nothing is recomputed). The sidebar's "
            "display settings apply; its model, decoding and methods apply to new summaries. Press Summarize or "
            "remove the file to go back to the text box.")
    notes = explanation.differences(cfg.model, versions())
    if notes:
        st.warning(plain("Note: " + "; ".join(notes) + ". Running it again here may give other numbers."))
    summary_section(explanation.generation)
    explanation_views(explanation, cfg)


def page() -> None:
    st.title("attnviz")
    st.caption("Summarize a text, then see which source words the model attended to for each summary word, "
               "and which ones actually drove it according to attribution methods.")
    cfg = sidebar()
    input_section()                                   # first, so that the text survives any error below
    if "opened" in st.session_state:
        opened_page(cfg, *st.session_state["opened"])
    else:
        live_page(cfg)


def main() -> None:
    try:
        page()
    except AttnvizError as exc:
        st.error(plain(str(exc)))
    except Exception as exc:  # noqa: BLE001 — a bug: the log keeps the traceback, the page a short note
        log.error("unexpected error\n%s", traceback.format_exc())
        st.error(f"Something went wrong ({type(exc).__name__}); nothing you typed was lost. This is a bug in "
                 "attnviz, not your input: the details are in the server log.")


main()

"""attnviz: paste text, read the summary, inspect attention and attributions side by side. Run with `make run`.

The page only wires widgets to the attnviz package and shows what comes back; every token shown in HTML
is escaped by attnviz.plots. Results are cached per (text, model, settings), so reruns are instant.
"""
from __future__ import annotations

import hashlib
import logging
import traceback
from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from attnviz.compare import METRICS, agreement_matrices, agreement_rows, nanmean
from attnviz.decoding import DecodingSettings
from attnviz.errors import AttnvizError
from attnviz.examples import load_examples
from attnviz.explain import METHODS, Attribution, ForcedScorer, explain, method_parameters
from attnviz.explain.cost import estimate, seconds_per_pass
from attnviz.explain.gradients import convergence_note
from attnviz.export import export_document, export_json, figure_html, long_frame
from attnviz.faithfulness import FRACTIONS, RANDOM, faithfulness
from attnviz.normalise import is_signed, normalise
from attnviz.pipeline import DEFAULT_MODEL, Summarizer, available_models
from attnviz.plots import (agreement_figure, agreement_matrix_figure, deletion_figure, focus_grid_html,
                           summary_chips_html, token_heatmap)
from attnviz.report import finite
from attnviz.textfile import decode_text
from attnviz.types import Generation

st.set_page_config(page_title="attnviz", page_icon="🔎", layout="wide")
log = logging.getLogger("attnviz.app")

ATTRIBUTION_METHODS = [m for m in METHODS if m != "attention"]
DEFAULT_METHODS = ["integrated_gradients", "occlusion"]
WINDOW_ABOVE = 150          # longer sources get a column window so every tick label stays readable
BUDGETS = {("integrated_gradients", "n_steps"): ("IG steps", 2, 256),   # at most max_steps (256)
           ("lime", "n_samples"): ("LIME samples", 2, 5000),
           ("kernel_shap", "n_samples"): ("KernelSHAP samples", 2, 5000),
           ("partition_shap", "max_evals"): ("Partition SHAP evaluations", 2, 10000)}
ModelKey = tuple[str, str, int]   # (model name, device, source token limit)
RANDOM_ORDERS = 10
BOUND_SIGN = {"exact": "", "at most": "≤ ", "at least": "≥ "}
METRIC_LABELS = {"kendall_tau_b": "Kendall τ-b", "spearman_rho": "Spearman ρ", "top5_overlap": "top-5 overlap",
                 "top10pct_overlap": "top-10% overlap", "js_distance": "Jensen-Shannon distance"}
METRIC_RANGE = {"kendall_tau_b": (-1, 1), "spearman_rho": (-1, 1), "top5_overlap": (0, 1), "top10pct_overlap": (0, 1),
                "js_distance": (0, 1)}
METRIC_GUIDE = {
    "kendall_tau_b": "Rank correlation over the source tokens: 1 same order, 0 unrelated, −1 opposite.",
    "spearman_rho": "Rank correlation over the source tokens: 1 same order, 0 unrelated, −1 opposite.",
    "top5_overlap": "Share of the 5 highest-scored source tokens that the two methods have in common.",
    "top10pct_overlap": "Share of the top 10% of source tokens that the two methods have in common.",
    "js_distance": "Distance between the two score distributions (normalised magnitudes): 0 identical, 1 disjoint."}


# ------------------------------------------------------------------ cached work (no widgets inside)

@st.cache_resource(show_spinner="Loading the model…")
def load_summarizer(name: str, device: str, max_source_tokens: int) -> Summarizer:
    return Summarizer.from_checkpoint(name, device=device, max_source_tokens=max_source_tokens)


@st.cache_data(show_spinner="Summarizing…", max_entries=64)
def summarize(model_key: ModelKey, text: str, settings: DecodingSettings) -> Generation:
    return load_summarizer(*model_key).summarize(text, settings)


@st.cache_data(show_spinner=False, max_entries=512)
def explain_method(model_key: ModelKey, text: str, settings: DecodingSettings, method: str,
                   params: tuple[tuple[str, Any], ...]) -> Attribution:
    generation = summarize(model_key, text, settings)
    return explain(load_summarizer(*model_key).model, generation, [method], params={method: dict(params)})[method]


@st.cache_data(show_spinner=False, max_entries=64)
def faithfulness_cached(model_key: ModelKey, text: str, settings: DecodingSettings, methods: tuple) -> dict[str, Any]:
    generation = summarize(model_key, text, settings)
    model = load_summarizer(*model_key).model
    scores = {"attention": generation.attention}
    scores.update({m: explain_method(model_key, text, settings, m, params).scores for m, params in methods})
    figures, cost = faithfulness(ForcedScorer(model, generation), scores, random_orders=RANDOM_ORDERS)
    return {"methods": {name: f.to_json() for name, f in figures.items()}, "cost": cost}


@st.cache_data(show_spinner=False, max_entries=64)
def pass_seconds(model_key: ModelKey, text: str, settings: DecodingSettings) -> tuple[float, float]:
    generation = summarize(model_key, text, settings)
    return seconds_per_pass(ForcedScorer(load_summarizer(*model_key).model, generation))


# ------------------------------------------------------------------ input

def set_text(text: str) -> None:
    st.session_state["text"] = text


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
        set_text(decode_text(upload.getvalue(), upload.name))
    except AttnvizError as exc:
        st.session_state["upload_error"] = f"{exc}. The text box was left as it was."


def input_section() -> None:
    examples = load_examples()
    left, right = st.columns([2, 1])
    with left:
        st.selectbox("Example from the held-out news test split", [e["title"] for e in examples], index=None,
                     placeholder="Pick an example…", key="example", on_change=on_example)
    with right:
        st.file_uploader("…or upload a .txt file", type=["txt"], key="upload", on_change=on_upload)
    if "upload_error" in st.session_state:
        st.error(st.session_state["upload_error"])
    st.text_area("Text to summarize", key="text", height=180, placeholder="Paste a news article…")
    if st.button("Summarize", type="primary"):
        st.session_state["submitted"] = st.session_state.get("text", "")


# ------------------------------------------------------------------ settings

def sidebar() -> dict[str, Any]:
    bar = st.sidebar
    bar.header("Settings")
    models = available_models() or [DEFAULT_MODEL]
    model = bar.selectbox("Model", models, index=models.index(DEFAULT_MODEL) if DEFAULT_MODEL in models else 0)
    device = bar.selectbox("Device", ["auto", "cpu", "cuda"], help="auto: the GPU when there is one, else the CPU")
    limit = bar.number_input("Read at most this many source tokens", 20, 2000, 400, step=50,
                             help="Longer texts are cut; the page says so. The model was trained on 120-token leads.")
    bar.subheader("Decoding")
    search = bar.radio("Search", ["beam", "greedy"], horizontal=True)
    beam = bar.slider("Beam size", 2, 8, 4) if search == "beam" else 1
    max_len = bar.slider("Maximum summary length (tokens)", 4, 40, 20)
    decoding = DecodingSettings(beam_size=beam, max_len=max_len, min_len=min(DecodingSettings.min_len, max_len))
    bar.subheader("Attributions")
    methods = bar.multiselect("Methods (attention is always shown)", ATTRIBUTION_METHODS, default=DEFAULT_METHODS)
    params: dict[str, dict[str, Any]] = {m: {} for m in methods}
    with bar.expander("Budgets and seed"):
        for (method, name), (label, low, high) in BUDGETS.items():
            if method in methods:
                params[method][name] = int(st.number_input(label, low, high, method_parameters(method)[name]))
        seed = int(st.number_input("Seed (sampling methods)", 0, 2**31 - 1, 0))
        for method in methods:
            if "seed" in method_parameters(method):
                params[method]["seed"] = seed
    bar.subheader("Display")
    norm = bar.radio("Normalisation", ["row_max_abs", "none"], horizontal=True,
                     format_func=lambda v: {"row_max_abs": "row max |score|", "none": "none"}[v])
    sign = bar.radio("Scores", ["signed", "absolute"], horizontal=True)
    return {"model": model, "device": device, "max_source_tokens": int(limit), "decoding": decoding,
            "methods": methods, "params": params, "normalisation": norm, "sign": sign}


# ------------------------------------------------------------------ views

def summary_section(generation: Generation, device: str) -> None:
    st.subheader("Summary")
    st.html(summary_chips_html(generation, st.session_state.get("focus")))
    st.caption(f"{len(generation.source_tokens)} source tokens → {len(generation.summary_tokens)} summary tokens "
               f"on {device}")
    if generation.truncated:
        st.warning(f"The text has {generation.truncated_from:,} tokens; the model read only the first "
                   f"{len(generation.source_tokens):,}. Raise the limit in the sidebar to read more.")


def run_attributions(cfg: dict[str, Any], model_key: ModelKey, text: str, generation: Generation) -> dict[str, Attribution]:
    """Cost estimate, the Run button, and the cached results of every selected method (with progress)."""
    methods, params = cfg["methods"], cfg["params"]
    if not methods:
        return {}
    per_forward, per_backward = pass_seconds(model_key, text, cfg["decoding"])
    costs = estimate(methods, params, len(generation.source_tokens), len(generation.summary_tokens),
                     per_forward, per_backward)
    lines = [f"- **{c.method}**: {BOUND_SIGN[c.bound]}{c.forward_passes:,} forward"
             + (f" + {c.backward_passes:,} backward" if c.backward_passes else "") + f", ≈ {c.seconds:.1f} s"
             for c in costs]
    st.sidebar.markdown("**Estimated cost on this input**\n\n" + "\n".join(lines))
    keys = {m: _request_key(model_key, text, cfg["decoding"], _method_key(cfg, [m])) for m in methods}
    done = st.session_state.setdefault("computed", set())
    todo = [m for m in methods if keys[m] not in done]
    if todo:
        seconds = sum(c.seconds for c in costs if c.method in todo)
        slot = st.empty()
        if slot.button(f"Explain with {len(todo)} method{'s' * (len(todo) > 1)} (≈ {seconds:.0f} s)"):
            slot.empty()
        else:
            st.caption("Attributions run when you ask: their cost is in the sidebar.")
            methods = [m for m in methods if m not in todo]            # already computed: shown from the cache
    results: dict[str, Attribution] = {}
    bar = st.progress(0.0) if methods else st.empty()
    for i, method in enumerate(methods):
        bar.progress(i / len(methods), text=f"Computing {method} ({i + 1} of {len(methods)})…")
        results[method] = explain_method(model_key, text, cfg["decoding"], method,
                                         tuple(sorted(params.get(method, {}).items())))
        done.add(keys[method])
    bar.empty()
    return results


def heatmaps_section(generation: Generation, shown: dict[str, np.ndarray], signed: dict[str, bool],
                     window: slice, raw: dict[str, np.ndarray], notes: dict[str, str]) -> dict[str, Any]:
    """Attention on the left, one tab per attribution method (with its note, if any) on the right;
    → the figures (for export)."""
    figures = {}
    st.subheader("Heatmaps")
    st.caption("Rows: summary tokens; columns: source tokens. Colours follow the sidebar's scaling; hover a cell for "
               "the pair and its raw score; drag to zoom, double-click to reset. Red raises the summary token's "
               "log-probability, blue lowers it; purple shows magnitudes only.")
    src = generation.source_tokens[window]
    left, right = st.columns(2)
    for name, scores in shown.items():
        figures[name] = token_heatmap(scores[:, window], generation.summary_tokens, src, title=name,
                                      signed=signed[name], source_offset=window.start,
                                      hover_values=raw[name][:, window])
    with left:
        heads = generation.head_attention
        if heads is not None:
            choice = st.selectbox("Attention head", ["average"] + [f"head {h}" for h in range(heads.shape[0])],
                                  key="head")
            if choice != "average":
                h = int(choice.split()[1])
                figures["attention"] = token_heatmap(heads[h][:, window], generation.summary_tokens,
                                                     src, title=f"attention, head {h}", source_offset=window.start)
        st.plotly_chart(figures["attention"], key="heatmap-attention", width="stretch")
    with right:
        others = [m for m in shown if m != "attention"]
        if not others:
            st.info("Pick attribution methods in the sidebar and press Explain to see them beside attention.")
        for tab, name in zip(st.tabs(others) if others else [], others):
            with tab:
                st.plotly_chart(figures[name], key=f"heatmap-{name}", width="stretch")
                if name in notes:
                    st.caption(notes[name])
    return figures


def focus_section(generation: Generation, shown: dict[str, np.ndarray], signed: dict[str, bool],
                  window: slice) -> int:
    """The summary-token selector and one aligned row per method; → the focused token."""
    st.subheader("Token focus")
    t = len(generation.summary_tokens)
    if st.session_state.get("focus") is not None and not 0 <= st.session_state["focus"] < t:
        st.session_state["focus"] = 0
    focus = st.selectbox("Summary token", list(range(t)), key="focus",
                         format_func=lambda i: f"#{i} {generation.summary_tokens[i]}")
    st.caption("Each row is one method's view of the source for the focused summary token, on the same columns: "
               "the darker the cell, the larger the score (row-scaled as chosen in the sidebar).")
    rows = {name: scores[focus, window] for name, scores in shown.items()}
    st.html(focus_grid_html(generation.source_tokens[window], rows, signed, source_offset=window.start))
    return focus


def agreement_section(generation: Generation, raw: dict[str, np.ndarray], matrices: dict[str, np.ndarray],
                      focus: int) -> None:
    st.subheader("Agreement")
    if len(raw) < 2:
        st.info("Run attribution methods (sidebar, then Explain) to compare them with attention.")
        return
    metric = st.selectbox("Metric", METRICS, index=METRICS.index("spearman_rho"), key="metric",
                          format_func=lambda m: METRIC_LABELS[m])
    st.caption(METRIC_GUIDE[metric] + " Scores are compared as magnitudes (|score|); tokens where a method gives "
               "every source token the same score are left out of the means.")
    left, right = st.columns(2)
    with left:
        st.plotly_chart(agreement_matrix_figure(matrices[metric], list(raw), metric), width="stretch")
    per_token = {m: agreement_rows(raw["attention"], s)[metric] for m, s in raw.items() if m != "attention"}
    with right:
        st.plotly_chart(agreement_figure(per_token, generation.summary_tokens, focus=focus, y_range=METRIC_RANGE[metric],
                                         title=f"{METRIC_LABELS[metric]} with attention, per summary token"),
                        width="stretch")
    token = f"#{focus} {generation.summary_tokens[focus]}"
    st.dataframe(pd.DataFrame([{"method": m, f"with attention, for {token}": v[focus],
                                "with attention, mean over the summary": nanmean(v)} for m, v in per_token.items()]),
                 hide_index=True)


def faithfulness_section(cfg: dict[str, Any], model_key: ModelKey, text: str, generation: Generation,
                         methods: list[str], focus: int) -> dict[str, Any] | None:
    """On request: comprehensiveness, sufficiency, AOPC and deletion curves for every method and chance."""
    st.subheader("Faithfulness")
    st.caption("Remove each method's top-ranked source tokens (1, 5, 10, 20, 50%) and watch the summary token's "
               "log-probability. Comprehensiveness = the drop when they are removed (higher: the method found what "
               "the token needs); sufficiency = the drop when only they are kept (lower is better); AOPC averages "
               "over the fractions. 'random' ranks the source at random: a method should beat it by more than its "
               "spread.")
    t = len(generation.summary_tokens)
    passes = (len(methods) + 1 + RANDOM_ORDERS) * t * len(FRACTIONS) * 2 + 1   # + attention
    seconds = passes * pass_seconds(model_key, text, cfg["decoding"])[0]
    request = _request_key(model_key, text, cfg["decoding"], _method_key(cfg, methods))
    if st.session_state.get("faithfulness_for") != request:
        slot = st.empty()
        if not slot.button(f"Measure faithfulness (≤ {passes:,} forward passes, ≈ {seconds:.0f} s)"):
            return None
        slot.empty()
        st.session_state["faithfulness_for"] = request
    with st.spinner("Scoring the perturbed sources…"):
        result = faithfulness_cached(model_key, text, cfg["decoding"], _method_key(cfg, methods))
    figures = result["methods"]
    rows = []
    for name, f in figures.items():
        comp, suff = np.asarray(f["comprehensiveness"]), np.asarray(f["sufficiency"])
        spread = f.get("aopc_std", {})
        rows.append({"method": name,
                     "AOPC comprehensiveness": _with_spread(f["aopc_comprehensiveness"], spread.get("comprehensiveness")),
                     "AOPC sufficiency": _with_spread(f["aopc_sufficiency"], spread.get("sufficiency")),
                     f"comprehensiveness, #{focus}": f"{comp[focus].mean():.3f}",
                     f"sufficiency, #{focus}": f"{suff[focus].mean():.3f}"})
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    scope = st.radio("Deletion curves for", ["the whole summary", f"token #{focus} {generation.summary_tokens[focus]}"],
                     horizontal=True, key="curve_scope")
    whole = scope == "the whole summary"
    curves = {name: np.asarray(f["deletion_curve"] if whole else f["deletion"][focus]) for name, f in figures.items()}
    spread = np.asarray(figures[RANDOM]["deletion_curve_std"]) if whole else None
    st.plotly_chart(deletion_figure(curves, FRACTIONS, spread=spread), width="stretch")
    st.caption(f"{result['cost']['distinct_masks']:,} distinct perturbed sources, {result['cost']['seconds']:.1f} s.")
    return result


def _with_spread(value: float, std: float | None) -> str:
    return f"{value:.3f}" + (f" ± {std:.3f}" if std is not None else "")


def _method_key(cfg: dict[str, Any], methods: list[str]) -> tuple:
    return tuple((m, tuple(sorted(cfg["params"].get(m, {}).items()))) for m in methods)


def _request_key(model_key: ModelKey, text: str, decoding: DecodingSettings, methods: tuple) -> str:
    """What a result depends on, hashed (texts can be long)."""
    return hashlib.sha1(repr((model_key, text, decoding, methods)).encode("utf-8")).hexdigest()


def export_section(generation: Generation, attributions: dict[str, Attribution], cfg: dict[str, Any],
                   figures: dict[str, Any], matrices: dict[str, np.ndarray], faith: dict[str, Any] | None) -> None:
    st.subheader("Export")
    st.caption("CSV: one row per (method, summary token, source token) with the raw score. JSON: everything, "
               "with the settings and package versions. HTML: each figure as a standalone page. "
               "The camera icon on each figure saves a PNG.")
    settings = {"model": cfg["model"], "device": cfg["device"], "max_source_tokens": cfg["max_source_tokens"],
                "decoding": asdict(cfg["decoding"]), "methods": list(attributions), "params": cfg["params"],
                "normalisation": cfg["normalisation"], "sign": cfg["sign"]}
    extra = {"agreement": finite({"methods": list(attributions), "matrices": matrices})}
    if faith is not None:
        extra["faithfulness"] = faith
    document = export_document(generation, attributions, model=cfg["model"], settings=settings, extra=extra)
    cols = st.columns(2 + len(figures))
    cols[0].download_button("CSV (long format)", long_frame(attributions).to_csv(index=False),
                            file_name="attnviz-scores.csv", mime="text/csv", key="download-csv")
    cols[1].download_button("JSON (everything)", export_json(document), file_name="attnviz.json",
                            mime="application/json", key="download-json")
    for col, (name, figure) in zip(cols[2:], figures.items()):
        col.download_button(f"{name} (HTML)", figure_html(figure), file_name=f"attnviz-{name}.html",
                            mime="text/html", key=f"download-html-{name}")


def source_window(generation: Generation) -> slice:
    s = len(generation.source_tokens)
    if s <= WINDOW_ABOVE:
        return slice(0, s)
    start, end = st.slider("Source tokens shown (for long texts; hover and exports keep absolute positions)",
                           0, s, (0, min(s, 120)), key="window")
    return slice(start, max(end, start + 1))


# ------------------------------------------------------------------ page

def page() -> None:
    st.title("attnviz")
    st.caption("Summarize a text, then see which source words the model attended to for each summary word, "
               "and which ones actually drove it according to attribution methods.")
    cfg = sidebar()
    input_section()                                   # first, so that the text survives any error below
    model_key: ModelKey = (cfg["model"], cfg["device"], cfg["max_source_tokens"])
    summarizer = load_summarizer(*model_key)
    st.sidebar.caption(f"Device in use: **{summarizer.device}**")
    text = st.session_state.get("submitted")
    if text is None:
        return
    generation = summarize(model_key, text, cfg["decoding"])
    summary_section(generation, str(summarizer.device))
    attributions = {"attention": explain(summarizer.model, generation, ["attention"])["attention"]}
    attributions.update(run_attributions(cfg, model_key, text, generation))
    signed = {m: cfg["sign"] == "signed" and is_signed(a.scores) for m, a in attributions.items()}
    shown = {m: normalise(a.scores, mode=cfg["normalisation"], sign=cfg["sign"]) for m, a in attributions.items()}
    window = source_window(generation)
    raw = {m: a.scores for m, a in attributions.items()}
    notes = {m: convergence_note(a.checks) for m, a in attributions.items() if m == "integrated_gradients"}
    figures = heatmaps_section(generation, shown, signed, window, raw, notes)
    focus = focus_section(generation, shown, signed, window)
    matrices = agreement_matrices(raw)                 # every metric of every pair, once per rerun
    agreement_section(generation, raw, matrices, focus)
    faith = faithfulness_section(cfg, model_key, text, generation, [m for m in attributions if m != "attention"], focus)
    export_section(generation, attributions, cfg, figures, matrices, faith)


def main() -> None:
    try:
        page()
    except AttnvizError as exc:
        st.error(str(exc))
    except Exception as exc:  # noqa: BLE001 — the page shows a message, the server log keeps the traceback
        log.error("unexpected error\n%s", traceback.format_exc())
        st.error(f"Something went wrong ({type(exc).__name__}). Your text is kept; try other settings. "
                 "The details are in the server log.")


main()

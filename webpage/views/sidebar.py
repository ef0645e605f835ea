"""The sidebar: model, decoding, methods with their budgets, granularity and display → ``PageSettings``."""
from __future__ import annotations

import os
from typing import Any

import streamlit as st

from attnviz.errors import InputError
from attnviz.explain import METHODS, method_title
from attnviz.explain.spec import Param
from attnviz.explanation import ATTENTION
from attnviz.features import GRANULARITIES, parse_starts
from attnviz.models.base import DecodingSettings, SummaryModel
from attnviz.models.folders import DEFAULT_MODEL, MODELS_ENV, available_models
from attnviz.pipeline import method_params
from webpage import state
from webpage.settings import DEFAULT_METHODS, NO_COMPARISON, PAGE_MAX_SOURCE_TOKENS, PATHS_ENV, PageSettings
from webpage.widgets import checked_number, plain

GRANULARITY_HELP = ("Tokens: every method explains each source token. Sentences (split by sentencex) or your own "
                    "spans: each is present or absent as a whole, so perturbation methods need far fewer passes "
                    "(each still reads the whole text); gradients and attention are summed per sentence. Look "
                    "into one sentence below the summary to explain its tokens.")


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
                                 high=PAGE_MAX_SOURCE_TOKENS), "", key="limit",
                           help="Longer texts are cut; the page says so. The model was trained on 120-token leads.")
    bar.subheader("Decoding")
    search = bar.radio("Search", ["beam", "greedy"], horizontal=True)
    beam = bar.slider("Beam size", 2, 8, 4) if search == "beam" else 1
    max_len = bar.slider("Maximum summary length (tokens)", 4, 40, 20)
    decoding = DecodingSettings(beam_size=beam, max_len=max_len, min_len=min(DecodingSettings.min_len, max_len))
    bar.subheader("Attributions")
    chosen = bar.multiselect("Methods (attention is always shown)", [m for m in METHODS if m != ATTENTION],
                             default=DEFAULT_METHODS, format_func=method_title)
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
                        span_starts=starts, inside=state.inside() if granularity != "tokens" else None,
                        pointer_split=split, seeds=seeds)


def granularity_controls(bar: Any) -> tuple[str, tuple[int, ...]]:
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


def model_captions(summarizer: SummaryModel, cfg: PageSettings) -> None:
    """The loaded model and its device under the settings, and its source limit if lower than asked."""
    st.sidebar.caption(f"Device in use: **{summarizer.device}** · model {plain(summarizer.name)}")
    if summarizer.max_source_tokens < cfg.max_source_tokens:
        st.sidebar.caption(f"This model reads at most {summarizer.max_source_tokens:,} source tokens.")

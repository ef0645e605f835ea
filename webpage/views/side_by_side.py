"""Two models side by side on the same text: a column each (summary, attention, one method, its agreement with
attention, faithfulness on request) and one JSON export holding both explanations."""
from __future__ import annotations

import json
from dataclasses import replace
from functools import partial

import pandas as pd
import streamlit as st

from attnviz.agreement import METRIC_LABELS, METRICS, nanmean
from attnviz.errors import AttnvizError
from attnviz.explain import METHODS, method_title
from attnviz.explanation import ATTENTION, Explanation
from attnviz.highlight import highlighted_text_html
from attnviz.pipeline import method_params
from attnviz.plots import attention_heatmap, attention_views, summary_chips_html, token_heatmap
from webpage import state
from webpage.fill import METHOD_FAITHFULNESS, build_explanation, method_spec, removal_request
from webpage.jobs import JobSpec, submit, wait_for
from webpage.request import Request, tokens_request
from webpage.settings import PageSettings
from webpage.views.focus import focus_blocks, summary_chips
from webpage.views.heatmaps import display_scores, shown_window
from webpage.widgets import Offer, held_button, number_table, plain, progress_bar


def comparison_section(request: Request) -> list[Offer]:
    """Both models on the request's text, a column each; each column is filled (its method, faithfulness once
    asked for) before it is drawn. → the buttons to draw once the page is drawn."""
    cfg = request.settings
    st.subheader("Side by side")
    methods = [m for m in METHODS if m != ATTENTION]
    method = st.selectbox("Method in both columns", methods, key="compare_method", format_func=method_title,
                          index=methods.index(cfg.methods[0]) if cfg.methods else methods.index("occlusion"))
    params = method_params([method], {method: cfg.params.get(method, {})}, cfg.seed)[method]
    with_method = replace(cfg, params={**cfg.params, method: params})
    requests = [tokens_request(c, request.text) for c in (with_method, replace(with_method, model=cfg.compare))]
    keys = [r.method_key(method) for r in requests]
    asked = state.asked()
    if state.pressed(state.COMPARE_BUTTON):
        asked.update(keys)
    button_slot, pending = st.empty(), any(key not in asked for key in keys)
    if pending:
        held_button(button_slot, f"Run {method_title(method)} on both models", state.COMPARE_BUTTON)
    offers, explanations = [], []
    for place, (r, key, column) in enumerate(zip(requests, keys, st.columns(2))):
        with column:
            explanation, offer = comparison_column(r, method, key in asked, f"compare-{place}-")
            explanations.append(explanation)
            offers += [offer] if offer is not None else []
    if pending:
        seconds = sum(r.costs([method])[0].seconds for r in requests)
        button_slot.button(f"Run {method_title(method)} on both models (≈ {seconds:.0f} s)", key=state.COMPARE_BUTTON)
    st.download_button("JSON (both models)", partial(comparison_json, explanations), file_name="attnviz-comparison.json",
                       mime="application/json", key="download-comparison",
                       on_click="ignore")
    st.divider()
    st.subheader(f"{plain(cfg.model)} in detail")
    return offers


def comparison_column(request: Request, method: str, asked: bool, place: str) -> tuple[Explanation, Offer | None]:
    """One model's column (widget keys start with ``place``): its summary, then the fill (the method if asked
    for, with progress here; faithfulness once asked for, in its slot), then the views; → its explanation and
    the faithfulness button to draw later (if not yet asked for)."""
    cfg, generation = request.settings, request.generation
    st.markdown(f"**{plain(cfg.model)}**")
    st.html(summary_chips_html(generation, None))
    results = {}
    if asked:
        spec: JobSpec = method_spec(request, method)
        bar = progress_bar()
        try:
            results[method] = wait_for(submit(request, spec), f"Computing {method_title(method)}", bar)
        except AttnvizError as exc:
            st.error(plain(f"{method}: {exc}"))
            state.asked().discard(spec.key)
        bar.empty()
    explanation = build_explanation(request, results)
    body, faithfulness, table = st.container(), st.empty(), st.container()
    failure: Exception | None = None
    try:
        offer = removal_request(request, explanation, METHOD_FAITHFULNESS, faithfulness, place)
    except Exception as exc:  # noqa: BLE001 — raised again below the column's views, where it used to stop the page
        offer, failure = None, exc
    with body:
        column_views(explanation, cfg, method, place)
    if failure is not None:
        raise failure
    if explanation.faithfulness is not None:
        number_table(pd.DataFrame([{"method": method_title(name), "AOPC comprehensiveness": f.aopc_comprehensiveness,
                                    "AOPC sufficiency": f.aopc_sufficiency}
                                   for name, f in explanation.faithfulness.items()]), table)
    return explanation, offer


def column_views(explanation: Explanation, cfg: PageSettings, method: str, place: str) -> None:
    """Attention (one layer and head at a time where there are several) and the method over the page's window
    of source columns, the method's agreement, then the whole source as highlighted text for a summary token
    picked in this column."""
    generation = explanation.generation
    window = shown_window(generation)
    views = attention_views(generation)
    view = views[st.selectbox("Attention layer and head", list(views), key=f"{place}head")] if len(views) > 1 \
        else (None, None)
    st.plotly_chart(attention_heatmap(generation, view, window), key=f"{place}attention", width="stretch")
    if window != slice(0, len(generation.source_tokens)):
        st.caption(f"Source tokens {window.start}–{window.stop - 1} of {len(generation.source_tokens):,} (the window "
                   "slider under Heatmaps sets it for every heatmap).")
    shown = display_scores(explanation, cfg)
    if method in explanation.attributions:
        scores, signed = shown[method]
        st.plotly_chart(token_heatmap(scores[:, window], generation.summary_tokens, generation.source_tokens[window],
                                      title=method_title(method), signed=signed, source_offset=window.start,
                                      hover_values=explanation.scores[method][:, window]),
                        key=f"{place}method", width="stretch")
        agreement = explanation.compare().with_attention[method]
        number_table(pd.DataFrame([{"with attention": METRIC_LABELS[m], "mean over the summary": nanmean(agreement[m])}
                                   for m in METRICS]))
    focus = summary_chips(generation, f"{place}focus")
    st.html(highlighted_text_html(generation.source_tokens, focus_blocks(explanation, shown, focus)))


def comparison_json(explanations: list[Explanation]) -> str:
    """Both explanations of the side-by-side view in one file ("attnviz-comparison"; each is the usual
    explanation document and opens alone in the page)."""
    return json.dumps({"format": "attnviz-comparison", "format_version": 1,
                       "explanations": [e.to_json() for e in explanations]}, ensure_ascii=False, allow_nan=False)

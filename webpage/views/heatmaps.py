"""Attention beside one tab per attribution method, over a window of the source for long texts."""
from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from attnviz.explain import method_title
from attnviz.explain.gradients import convergence_note
from attnviz.explanation import ATTENTION, Explanation
from attnviz.normalise import is_signed, normalise
from attnviz.plots import attention_heatmap, attention_views, token_heatmap
from attnviz.types import Generation
from webpage import state
from webpage.settings import WINDOW_ABOVE, PageSettings
from webpage.widgets import plain


def source_window(generation: Generation) -> slice:
    """The heatmaps' source rows: all of a short source; for a long one the window slider's (the same window
    in the side-by-side columns, which read it from the session)."""
    s = len(generation.source_tokens)
    if s > WINDOW_ABOVE:
        st.slider("Source tokens shown in the heatmaps (for long texts; hover and exports keep absolute positions)",
                  0, s, (0, min(s, state.DEFAULT_WINDOW)), key=state.WINDOW)
    return shown_window(generation)


def shown_window(generation: Generation) -> slice:
    """The window ``source_window`` shows, read without drawing its slider (the side-by-side columns)."""
    s = len(generation.source_tokens)
    return slice(0, s) if s <= WINDOW_ABOVE else state.window(s)


def display_scores(explanation: Explanation, cfg: PageSettings) -> dict[str, tuple[np.ndarray, bool]]:
    """{method: (scores [T, S] scaled as the sidebar says, whether to draw them signed)}."""
    return {m: (normalise(s, mode=cfg.normalisation, sign=cfg.sign), cfg.sign == "signed" and is_signed(s))
            for m, s in explanation.scores.items()}


def heatmaps_section(explanation: Explanation, cfg: PageSettings, live: bool = True) -> tuple[dict[str, Any], slice]:
    """The window of source rows (for a long text), then attention on the left and one tab per attribution
    method (with its note, if any) on the right, over the same rows; → the figures (for export) and the window.
    ``live``: the page of a pasted text (an opened explanation has no Explain to press)."""
    generation = explanation.generation
    st.subheader("Heatmaps")
    st.caption("Rows: source tokens, in reading order (for a long text, the window the slider sets); columns: "
               "summary tokens. Red raises the summary token's log-probability, blue lowers it; purple shows "
               "magnitudes only; colours follow the sidebar's scaling. Hover a cell for the pair and its raw score; "
               "drag to zoom, double-click to reset.")
    window = source_window(generation)
    src = generation.source_tokens[window]
    figures = {name: token_heatmap(shown[:, window], generation.summary_tokens, src, title=method_title(name),
                                   signed=signed, source_offset=window.start,
                                   hover_values=explanation.scores[name][:, window])
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
        if not others and cfg.methods and live:
            st.caption(f"{' and '.join(method_title(m) for m in cfg.methods)} appear here once you press Explain "
                       "above.")
        elif not others and live:
            st.caption("Pick attribution methods in the sidebar to see them here beside attention.")
        for tab, name in zip(st.tabs([plain(method_title(m)) for m in others]) if others else [], others):
            with tab:
                st.plotly_chart(figures[name], key=f"heatmap-{name}", width="stretch")
                if name == "integrated_gradients" and "all_rows_converged" in explanation.attributions[name].checks:
                    st.caption(plain(convergence_note(explanation.attributions[name].checks)))
    return figures, window

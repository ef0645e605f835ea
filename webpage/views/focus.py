"""One summary token in focus: every method's row of the source, aligned, and its spread over seeds."""
from __future__ import annotations

import streamlit as st

from attnviz.explanation import Explanation
from attnviz.plots import focus_grid_html, stability_figure
from webpage import state
from webpage.settings import PageSettings
from webpage.views.heatmaps import display_scores


def focus_section(explanation: Explanation, cfg: PageSettings, window: slice) -> int:
    """The summary-token selector and one aligned row per method; → the focused token."""
    generation = explanation.generation
    st.subheader("Token focus")
    t = len(generation.summary_tokens)
    state.keep_focus(t)
    focus = st.selectbox("Summary token", list(range(t)), key=state.FOCUS,
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

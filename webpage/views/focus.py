"""One summary token in focus: the source as highlighted text, one block per method, and the sampling
methods' spread over seeds."""
from __future__ import annotations

import numpy as np
import streamlit as st

from attnviz.explain import method_title
from attnviz.explanation import Explanation
from attnviz.highlight import HighlightBlock, highlighted_text_html
from attnviz.plots import stability_figure
from attnviz.types import Generation
from webpage import state
from webpage.settings import PageSettings
from webpage.views.heatmaps import display_scores
from webpage.widgets import plain

SIGNED_LEGEND = "red: raises the summary token's log-probability, blue: lowers it; stronger = larger"
MAGNITUDE_LEGEND = "darker = larger"


def focus_section(explanation: Explanation, cfg: PageSettings, window: slice,
                  units: list[str] | None = None) -> int:
    """The summary tokens as chips to pick from, then the whole source as highlighted text for the picked one,
    one block per method (``units``: the source units as written, where the explanation's are short labels,
    e.g. whole sentences); → the focused token."""
    generation = explanation.generation
    st.subheader("Token focus")
    focus = summary_chips(generation, state.FOCUS)
    st.caption("The source as text, once per method, for the picked summary token: each source unit's background "
               "shows that method's score (scaled as the sidebar says); hover a unit for its position and raw score.")
    st.html(highlighted_text_html(units or generation.source_tokens,
                                  focus_blocks(explanation, display_scores(explanation, cfg), focus)))
    if explanation.stability:
        bands = {method_title(m): (s.mean[focus, window], s.std[focus, window])
                 for m, s in explanation.stability.items()}
        st.plotly_chart(stability_figure(generation.source_tokens[window], bands, source_offset=window.start,
                                         focus_label=f"#{focus} {generation.summary_tokens[focus]}"),
                        key="stability-band", width="stretch")
    return focus


def summary_chips(generation: Generation, key: str) -> int:
    """The summary tokens as chips under ``key``, one picked; → the picked token."""
    t = len(generation.summary_tokens)
    state.keep_focus(t, key)
    return st.pills("Summary token", list(range(t)), key=key,
                    format_func=lambda i: plain(f"#{i} {generation.summary_tokens[i]}"))


def focus_blocks(explanation: Explanation, shown: dict[str, tuple[np.ndarray, bool]],
                 focus: int) -> list[HighlightBlock]:
    """One highlighted block per method for summary token ``focus``: ``shown`` {method: (scores [T, S] as the
    sidebar scales them, signed)}, the raw scores on hover."""
    return [HighlightBlock(method_title(name), scores[focus], explanation.scores[name][focus], signed,
                           SIGNED_LEGEND if signed else MAGNITUDE_LEGEND)
            for name, (scores, signed) in shown.items()]

"""Everything below the summary for one filled ``Explanation``: heatmaps, focus, agreement, faithfulness,
counterfactual attention, each head's faithfulness and the exports, in page order."""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import streamlit as st

from attnviz.explanation import Explanation
from webpage.fill import HEAD_FAITHFULNESS, METHOD_FAITHFULNESS, Filled, multi_head
from webpage.settings import PageSettings
from webpage.views.agreement import agreement_section
from webpage.views.counterfactual import counterfactual_section
from webpage.views.export import export_section
from webpage.views.faithfulness import faithfulness_heading, faithfulness_section
from webpage.views.focus import focus_section
from webpage.views.head_faithfulness import head_faithfulness_heading, head_faithfulness_section
from webpage.views.heatmaps import heatmaps_section


@dataclass(frozen=True)
class Places:
    """Where the views draw, reserved in page order before the fill step runs, so that a measurement's progress
    (and later its button) appears where its result belongs while the views above it are drawn afterwards."""

    above: Any          # the heatmaps, focus, agreement and the faithfulness heading
    faithfulness: Any   # slot: the methods' faithfulness request (progress, or its button)
    middle: Any         # faithfulness figures, counterfactual attention, the heads' heading
    heads: Any          # slot: each head's faithfulness request
    below: Any          # each head's faithfulness, the exports

    @staticmethod
    def reserve() -> Places:
        return Places(st.container(), st.empty(), st.container(), st.empty(), st.container())

    @staticmethod
    def inline() -> Places:
        """No reservation: each view draws where it comes (an opened explanation computes nothing)."""
        return Places(nullcontext(), None, nullcontext(), None, nullcontext())


def explanation_views(explanation: Explanation, cfg: PageSettings, places: Places,
                      filled: Filled | None = None) -> None:
    """Everything below the summary, drawn from the explanation as filled; ``filled`` (live page) holds what
    the fill step left for the views, None for an opened explanation. Subword models can be read by words
    (each word's attention and scores summed over its pieces) or by pieces; the exports keep pieces."""
    live = filled is not None
    with places.above:
        shown = words = explanation.by_words()
        if explanation.features is not None:
            shown = explanation.viewed(short=True)
        elif words is not explanation:
            units = st.radio("Source units", ["words", "pieces"], horizontal=True, key="units",
                             help="Words: attention and scores summed over each word's subword pieces. The exports "
                                  "keep pieces, with the word of each piece.")
            shown = words if units == "words" else explanation
        figures, window = heatmaps_section(shown, cfg, live)
        units = list(explanation.features.labels) if explanation.features is not None else None
        focus = focus_section(shown, cfg, window, units)
        agreement_section(shown, focus)
        faithfulness_heading()
        if not live and explanation.faithfulness is None:
            st.info("This explanation was exported without faithfulness figures.")
    if live:
        filled.check(METHOD_FAITHFULNESS.name)
    with places.middle:
        faithfulness_section(explanation, focus)
        if live:
            filled.check("counterfactual")
        counterfactual_section(explanation, live=live, error=filled.counterfactual_error if live else None)
        if multi_head(explanation):
            head_faithfulness_heading()
    with places.below:
        if multi_head(explanation):
            if live:
                filled.check(HEAD_FAITHFULNESS.name)
            head_faithfulness_section(explanation, exported=not live)
        export_section(explanation, figures)

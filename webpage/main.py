"""The page: the sidebar and the text box, then a pasted text's live page or an opened explanation, under
one error net (an AttnvizError is one line; anything else is a bug: a short note, the traceback in the log)."""
from __future__ import annotations

import logging
import traceback

import streamlit as st

from attnviz.errors import AttnvizError
from attnviz.explanation import Explanation, versions
from webpage import fill, state
from webpage.request import build_request
from webpage.services import load_summarizer, warm_page
from webpage.settings import PageSettings
from webpage.views.costs import hold_explain, offer_explain
from webpage.views.encoder import encoder_section
from webpage.views.explanation import Places, explanation_views
from webpage.views.features import features_section
from webpage.views.input import input_section
from webpage.views.side_by_side import comparison_section
from webpage.views.sidebar import model_captions, sidebar
from webpage.views.summary import summary_section
from webpage.widgets import plain

log = logging.getLogger("attnviz.app")


def live_page(cfg: PageSettings) -> None:
    """The submitted text: one request built; the side-by-side section (if asked for); the summary; the fill
    step (attributions, then the measurements asked for); the views; last, the buttons priced on this input."""
    summarizer = load_summarizer(*cfg.model_key)
    warm_page()
    model_captions(summarizer, cfg)
    text = state.submitted()
    if text is None:
        return
    sidebar_slot = st.sidebar.empty()
    request, fallback = build_request(cfg, text)
    if fallback is not None:
        st.error(plain(fallback))
    offers = []
    if cfg.compare:
        try:
            offers = comparison_section(request)
        except AttnvizError as exc:                   # the second model alone: this model's views go on
            st.error(plain(f"{cfg.compare}: {exc}"))
    summary_section(request.generation)
    features_section(request)
    explain_slot = st.empty()
    explanation = fill.live_explanation(request)      # progress, Cancel and failing methods drawn here
    hold_explain(request, explain_slot)
    if cfg.pointer_split and request.generation.p_gen is None:
        st.caption("This model has no pointer: its attention is not split into copying and generating.")
    places = Places.reserve()
    filled = fill.measurements(request, explanation, places.faithfulness, places.heads)
    offers += filled.offers
    explanation_views(explanation, request.settings, places, filled)
    encoder_section(request, summarizer)
    offer_explain(request, explain_slot, sidebar_slot)
    for offer in offers:
        offer.draw()


def opened_page(cfg: PageSettings, name: str, explanation: Explanation) -> None:
    """An exported explanation as it was saved: nothing is recomputed."""
    st.info(f"Showing the exported explanation {plain(name)} as it was saved (nothing is recomputed). The sidebar's "
            "display settings apply; its model, decoding and methods apply to new summaries. Press Summarize or "
            "remove the file to go back to the text box.")
    notes = explanation.differences(cfg.model, versions())
    if notes:
        st.warning(plain("Note: " + "; ".join(notes) + ". Running it again here may give other numbers."))
    summary_section(explanation.generation)
    explanation_views(explanation, cfg, Places.inline())


def page() -> None:
    st.title("attnviz")
    st.caption("Summarize a text, then see which source words the model attended to for each summary word, "
               "and which ones actually drove it according to attribution methods.")
    cfg = sidebar()
    input_section()                                   # first, so that the text survives any error below
    opened = state.opened()
    if opened is not None:
        opened_page(cfg, *opened)
    else:
        live_page(cfg)


def main() -> None:
    """The page under its error net."""
    try:
        page()
    except AttnvizError as exc:
        st.error(plain(str(exc)))
    except Exception as exc:  # noqa: BLE001 — a bug: the log keeps the traceback, the page a short note
        log.error("unexpected error\n%s", traceback.format_exc())
        st.error(f"Something went wrong ({type(exc).__name__}); nothing you typed was lost. This is a bug in "
                 "attnviz, not your input: the details are in the server log.")

"""The summary as chips (the focused token marked), its size and device, and a note when the text was cut."""
from __future__ import annotations

import streamlit as st

from attnviz.plots import summary_chips_html
from attnviz.types import Generation
from webpage import state
from webpage.settings import PAGE_MAX_SOURCE_TOKENS
from webpage.widgets import plain


def summary_section(generation: Generation) -> None:
    st.subheader("Summary")
    st.html(summary_chips_html(generation, state.focus()))
    device = generation.settings.get("device") or "an unknown device"
    st.caption(f"{len(generation.source_tokens)} source tokens → {len(generation.summary_tokens)} summary tokens "
               f"on {plain(str(device))}")
    if generation.truncated:
        more = ("Raise the limit in the sidebar to read more." if len(generation.source_tokens) < PAGE_MAX_SOURCE_TOKENS
                else f"The page reads at most {PAGE_MAX_SOURCE_TOKENS:,}; shorten the text to explain the rest.")
        st.warning(f"The text has {generation.truncated_from:,} tokens; the model read only the first "
                   f"{len(generation.source_tokens):,}. {more}")

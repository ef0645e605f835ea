"""With sentences or spans: how many, and the switch to look into one of them."""
from __future__ import annotations

import streamlit as st

from attnviz.features import make_features
from webpage import state
from webpage.request import Request


def features_section(request: Request) -> None:
    """With sentences or spans: how many, and the switch to look into one of them (its tokens explained with
    the rest of the text present) or back."""
    cfg, features = request.settings, request.features
    if features is None:
        return
    outer = make_features(request.generation, cfg.granularity, text=request.text, starts=cfg.span_starts)
    kind = outer.kind[:-1]
    options = [None, *range(outer.count)]
    state.keep_inside(options)
    st.selectbox(f"Look into a {kind}", options, key=state.INSIDE,
                 format_func=lambda g: f"every {kind} ({outer.count})" if g is None else
                 f"{kind} {g} (tokens {outer.bounds[g][0]}–{outer.bounds[g][1] - 1}): {outer.short_labels()[g].split(': ', 1)[1]}",
                 help=f"Explain the tokens of one {kind}: only they are removed, the rest of the text stays present.")
    if cfg.inside is not None and features.kind == "tokens":
        st.caption(f"The methods explain the {features.count} tokens of {kind} {cfg.inside}; the rest of the text "
                   "is held present.")
    else:
        st.caption(f"The methods explain {outer.count} {outer.kind}: each one present or absent as a whole. The "
                   f"heatmaps' rows are {outer.kind} (labelled by their first words; hover for more), the token focus "
                   f"shows each whole; attention and gradients are their tokens' sums.")

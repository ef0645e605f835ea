"""The encoder's self-attention, one layer and head at a time (transformer encoders only)."""
from __future__ import annotations

import streamlit as st

from attnviz.models.base import SummaryModel
from attnviz.plots import token_heatmap
from webpage.request import Request
from webpage.services import encoder_attention
from webpage.settings import WINDOW_ABOVE


def encoder_section(request: Request, summarizer: SummaryModel) -> None:
    """The encoder's self-attention, one layer and head at a time (transformer encoders only; each layer is
    read from the server's cache, or computed when first shown)."""
    if not summarizer.encoder_layers:
        return
    cfg = request.settings
    with st.expander("Encoder self-attention (source token ← source token)"):
        left, right = st.columns(2)
        layer = left.selectbox("Encoder layer", list(range(summarizer.encoder_layers)), key="encoder_layer")
        heads = encoder_attention(cfg.model_key, request.text, cfg.decoding, layer)
        head = right.selectbox("Head", list(range(heads.shape[0])), key="encoder_head")
        tokens = request.generation.source_tokens
        window = slice(0, min(len(tokens), WINDOW_ABOVE))
        st.caption(f"Row i: what source token i reads in layer {layer}, head {head}" +
                   (f" (the first {WINDOW_ABOVE} tokens)." if len(tokens) > WINDOW_ABOVE else "."))
        st.plotly_chart(token_heatmap(heads[head][window, window], tokens[window], tokens[window],
                                      title=f"encoder layer {layer}, head {head}"), key="encoder-heatmap",
                        width="stretch")

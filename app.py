"""attnviz: paste text, read the summary, see the model's cross-attention. Run with `make run`."""
from __future__ import annotations

import html

import numpy as np
import streamlit as st

from attnviz.decoding import DecodingSettings
from attnviz.errors import AttnvizError
from attnviz.pipeline import DEFAULT_MODEL, Summarizer, available_models
from attnviz.plots import attention_heatmap

st.set_page_config(page_title="attnviz", layout="wide")


@st.cache_resource(show_spinner="Loading the model…")
def load_summarizer(name: str, device: str) -> Summarizer:
    return Summarizer.from_checkpoint(name, device=device)


@st.cache_data(show_spinner="Summarizing…", max_entries=64)
def summarize(_summarizer: Summarizer, model_key: str, text: str, settings: DecodingSettings):
    return _summarizer.summarize(text, settings)


def sidebar() -> tuple[str, str, DecodingSettings]:
    st.sidebar.header("Settings")
    models = available_models() or [DEFAULT_MODEL]
    model = st.sidebar.selectbox("Model", models, index=models.index(DEFAULT_MODEL) if DEFAULT_MODEL in models else 0)
    device = st.sidebar.selectbox("Device", ["auto", "cpu", "cuda"])
    beam = st.sidebar.slider("Beam size (1 = greedy)", 1, 8, 4)
    max_len = st.sidebar.slider("Maximum summary length (tokens)", 4, 40, 20)
    return model, device, DecodingSettings(beam_size=beam, max_len=max_len, min_len=min(DecodingSettings.min_len, max_len))


def main() -> None:
    st.title("attnviz")
    st.caption("Summarize a text and see which source words the model attended to for each summary word.")
    model, device, settings = sidebar()
    text = st.text_area("Text to summarize", key="text", height=200, placeholder="Paste a news article…")
    if not st.button("Summarize", type="primary") and "generation" not in st.session_state:
        return
    try:
        summarizer = load_summarizer(model, device)
        st.sidebar.caption(f"Running on: {summarizer.device}")
        generation = summarize(summarizer, f"{model}:{summarizer.device}", text, settings)
    except AttnvizError as exc:
        st.error(str(exc))
        return
    st.session_state["generation"] = True
    st.subheader("Summary")
    st.markdown(f"**{html.escape(generation.summary)}**")
    if generation.truncated:
        st.info(f"The text has {generation.truncated_from} tokens; the model read the first {len(generation.source_tokens)}.")
    st.caption("Rows: summary tokens. Columns: source tokens. Hover a cell for the pair and its attention weight.")
    st.plotly_chart(attention_heatmap(generation), width="stretch")
    with st.expander("Per-token details"):
        rows = [{"token": t, "probability": float(np.exp(lp)), "p_gen (generate vs copy)": None if generation.p_gen is None else float(g)}
                for t, lp, g in zip(generation.summary_tokens, generation.token_logprobs,
                                    generation.p_gen if generation.p_gen is not None else [None] * len(generation.summary_tokens))]
        st.dataframe(rows)


main()

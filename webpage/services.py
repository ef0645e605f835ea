"""The server's cached work (no widgets inside): models, summaries, the compute gate, the job board, encoder
attention and the timed pass that prices every method."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from attnviz.explain.cost import seconds_per_pass
from attnviz.jobs import JobBoard
from attnviz.models.base import DecodingSettings, SummaryModel
from attnviz.models.loading import load_model
from attnviz.plots import token_heatmap
from attnviz.threads import ComputeGate
from attnviz.types import Generation
from webpage.settings import ModelKey


def load_summarizer(name: str, device: str, max_source_tokens: int) -> SummaryModel:
    """The model reading at most ``max_source_tokens`` (or the most it can read, if fewer)."""
    model = loaded_model(name, device)
    return model.limited(min(max_source_tokens, model.source_ceiling))


@st.cache_resource(show_spinner="Loading the model…")
def loaded_model(name: str, device: str) -> SummaryModel:
    """The model, loaded once per (name or folder, device) and warmed up: torch's first calls pay one-off
    costs that would otherwise land on the user's first Summarize."""
    summarizer = load_model(name, device=device)
    summarizer.summarize("The minister met the committee on Monday to discuss the budget.", DecodingSettings())
    return summarizer


@st.cache_resource
def warm_page() -> None:
    """Once per server: plotly builds its figure validators, and pyarrow its pandas conversion, on first use
    (about a second together), which would otherwise land on the first Summarize."""
    import plotly.io
    import pyarrow

    figure = token_heatmap(np.zeros((2, 2)), ["a", "b"], ["c", "d"], title="warm-up", signed=True)
    plotly.io.to_json(figure, validate=True)
    pyarrow.Table.from_pandas(pd.DataFrame({"method": ["a"], "value": [0.0]}))


@st.cache_resource
def compute_gate() -> ComputeGate:
    """One per server: the sessions' concurrent requests share the cores (attnviz.threads)."""
    return ComputeGate()


@st.cache_data(show_spinner="Summarizing…", max_entries=64)
def summarize(model_key: ModelKey, text: str, settings: DecodingSettings) -> Generation:
    with compute_gate().light():
        return load_summarizer(*model_key).summarize(text, settings)


@st.cache_resource
def job_board() -> JobBoard:
    """One per server: attribution and faithfulness runs, kept across reruns and sessions (attnviz.jobs)."""
    return JobBoard()


@st.cache_data(show_spinner=False, max_entries=16)
def encoder_attention(model_key: ModelKey, text: str, settings: DecodingSettings, layer: int) -> np.ndarray:
    with compute_gate().light():
        return load_summarizer(*model_key).encoder_attention(summarize(model_key, text, settings), layer)


@st.cache_data(show_spinner=False, max_entries=64)
def pass_seconds(model_key: ModelKey, text: str, settings: DecodingSettings) -> tuple[float, float]:
    summarizer = load_summarizer(*model_key)
    scorer = summarizer.scorer(summarize(model_key, text, settings))
    with compute_gate().light():
        return seconds_per_pass(scorer, repeats=3)      # the median of 3: one batch alone swung ±25% here

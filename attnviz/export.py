"""Exports of one explained summary: a tidy long table (CSV) and standalone HTML figures. The JSON
document is ``Explanation.dumps()`` (see ``attnviz.explanation``). numpy/pandas/plotly only."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from attnviz.types import Attribution

COLUMNS = ["method", "summary_index", "summary_token", "source_index", "source_token", "score"]


def long_frame(attributions: dict[str, Attribution]) -> pd.DataFrame:
    """One row per (method, summary token, source token) with its raw score; columns ``COLUMNS``."""
    frames = []
    for name, a in attributions.items():
        t, s = a.scores.shape
        frames.append(pd.DataFrame({
            "method": name,
            "summary_index": [i for i in range(t) for _ in range(s)],
            "summary_token": [tok for tok in a.summary_tokens for _ in range(s)],
            "source_index": list(range(s)) * t,
            "source_token": list(a.source_tokens) * t,
            "score": a.scores.reshape(-1),
        }))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def figure_html(figure: go.Figure) -> str:
    """A standalone HTML page of the figure (plotly.js inlined: it opens without a network)."""
    return figure.to_html(include_plotlyjs=True, full_html=True, config={"displaylogo": False})

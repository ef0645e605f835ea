"""Plotly figures and pandas frames built from numpy results (no torch, no streamlit)."""
from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from attnviz.types import Generation

HOVER = 'summary #%{customdata[0]} "%{customdata[1]}" ← source #%{customdata[2]} "%{customdata[3]}": %{z:.3f}<extra></extra>'


def _hover_data(summary_tokens: list[str], source_tokens: list[str]) -> np.ndarray:
    """customdata [T, S, 4]: summary index, summary token, source index, source token (HTML-escaped)."""
    t, s = len(summary_tokens), len(source_tokens)
    data = np.empty((t, s, 4), dtype=object)
    data[..., 0] = np.arange(t)[:, None]
    data[..., 1] = np.array([html.escape(x) for x in summary_tokens], dtype=object)[:, None]
    data[..., 2] = np.arange(s)[None, :]
    data[..., 3] = np.array([html.escape(x) for x in source_tokens], dtype=object)[None, :]
    return data


def token_heatmap(scores: np.ndarray, summary_tokens: list[str], source_tokens: list[str], *,
                  title: str, signed: bool = False) -> go.Figure:
    """Heatmap of scores [T, S]: rows summary tokens, columns source tokens.

    Cells sit at integer positions and the tokens are tick labels, so repeated tokens stay distinct.
    """
    t, s = scores.shape
    if (t, s) != (len(summary_tokens), len(source_tokens)):
        raise ValueError(f"scores {scores.shape} do not match {len(summary_tokens)} summary × {len(source_tokens)} source tokens")
    limit = float(np.abs(scores).max()) if scores.size else 1.0
    colour = dict(colorscale="RdBu", zmid=0.0, zmin=-limit, zmax=limit) if signed else dict(colorscale="Blues", zmin=0.0)
    figure = go.Figure(go.Heatmap(z=scores, x=np.arange(s), y=np.arange(t), customdata=_hover_data(summary_tokens, source_tokens),
                                  hovertemplate=HOVER, colorbar=dict(thickness=12), **colour))
    tick_step = max(1, s // 60)
    figure.update_layout(
        title=title, height=max(260, 60 + 22 * t), margin=dict(l=10, r=10, t=40, b=10),
        xaxis=dict(tickmode="array", tickvals=list(range(0, s, tick_step)),
                   ticktext=[html.escape(source_tokens[j]) for j in range(0, s, tick_step)], tickangle=-60,
                   side="top", constrain="domain"),
        yaxis=dict(tickmode="array", tickvals=list(range(t)), ticktext=[html.escape(x) for x in summary_tokens],
                   autorange="reversed"),
    )
    return figure


def attention_heatmap(generation: Generation, head: int | None = None) -> go.Figure:
    """Cross-attention [T, S] (head average, or one head of a multi-head model)."""
    if head is None:
        return token_heatmap(generation.attention, generation.summary_tokens, generation.source_tokens,
                             title="Cross-attention (summary token ← source token)")
    if generation.head_attention is None or not 0 <= head < generation.head_attention.shape[0]:
        raise ValueError(f"head {head} does not exist in this model")
    return token_heatmap(generation.head_attention[head], generation.summary_tokens, generation.source_tokens,
                         title=f"Cross-attention, head {head}")

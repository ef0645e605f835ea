"""Exports of one explained summary: a tidy long table (CSV), one JSON document, standalone HTML figures."""
from __future__ import annotations

import json
import platform
from importlib import metadata
from typing import Any

import pandas as pd
import plotly.graph_objects as go

import attnviz
from attnviz.explain.base import Attribution
from attnviz.types import Generation

COLUMNS = ["method", "summary_index", "summary_token", "source_index", "source_token", "score"]
PACKAGES = ("torch", "numpy", "captum", "shap", "streamlit", "plotly", "pandas", "scipy", "scikit-learn")


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


def versions() -> dict[str, str]:
    """attnviz, Python and the installed versions of the packages that shape the numbers."""
    out = {"attnviz": attnviz.__version__, "python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def export_document(generation: Generation, attributions: dict[str, Attribution], *, model: str,
                    settings: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything needed to reproduce and re-plot: the generation, every method's scores and costs,
    the settings (model, device, decoding, methods and their parameters) and package versions."""
    return {"format": "attnviz-export", "format_version": 1, "model": model, "settings": settings,
            "versions": versions(), "generation": generation.to_json(),
            "methods": {name: a.to_json() for name, a in attributions.items()}, **(extra or {})}


def export_json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1, allow_nan=False, default=_plain)


def _plain(value: Any) -> Any:
    """numpy scalars and arrays → plain JSON values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot export {type(value).__name__}")


def figure_html(figure: go.Figure) -> str:
    """A standalone HTML page of the figure (plotly.js inlined: it opens without a network)."""
    return figure.to_html(include_plotlyjs=True, full_html=True, config={"displaylogo": False})

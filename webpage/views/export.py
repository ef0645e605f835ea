"""Downloads: the scores as CSV, the whole explanation as JSON, each figure as HTML."""
from __future__ import annotations

import re
from functools import partial
from typing import Any

import streamlit as st

from attnviz.explain import method_title
from attnviz.explanation import Explanation
from attnviz.export import figure_html, long_frame
from attnviz.types import Attribution
from webpage.widgets import plain


def export_section(explanation: Explanation, figures: dict[str, Any]) -> None:
    st.subheader("Export")
    st.caption("CSV: one row per (method, summary token, source token) with the raw score. JSON: the whole "
               "explanation (summary, scores, agreement, faithfulness, settings, package versions); it opens again "
               "here under 'Open an exported explanation'. HTML: each figure as a standalone page. "
               "The camera icon on each figure saves a PNG.")
    cols = st.columns(2 + len(figures))
    # Each file is built when its button is clicked, not on every rerun (a figure's HTML inlines plotly.js); a
    # click downloads without running the page again.
    cols[0].download_button("CSV (long format)", partial(csv_text, explanation.attributions),
                            file_name="attnviz-scores.csv", mime="text/csv", key="download-csv",
                            on_click="ignore")
    cols[1].download_button("JSON (everything)", explanation.dumps, file_name="attnviz.json",
                            mime="application/json", key="download-json", on_click="ignore")
    for col, (name, figure) in zip(cols[2:], figures.items()):
        col.download_button(f"{plain(method_title(name))} (HTML)", partial(figure_html, figure),
                            file_name=f"attnviz-{file_part(name)}.html",
                            mime="text/html", key=f"download-html-{name}", on_click="ignore")


def file_part(name: str) -> str:
    """A method's name as part of a file name: letters, digits, '-', '_' and '.' kept, anything else '_' (a
    document's method may be named anything)."""
    return re.sub(r"[^\w.-]", "_", name, flags=re.ASCII)[:80].lstrip(".") or "figure"


def csv_text(attributions: dict[str, Attribution]) -> str:
    return long_frame(attributions).to_csv(index=False)

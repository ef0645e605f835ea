"""attnviz: paste text, read the summary, inspect attention and attributions side by side. Run with `make run`.

The page shows one ``attnviz.explanation.Explanation``: built step by step for a pasted text (the summary
first, attribution methods when asked, faithfulness on request) or opened from an exported file and shown
as saved, without recomputing. The page itself lives in the ``webpage`` package (one module per section
under ``webpage/views``); this script only configures the page and calls it. Streamlit runs it with the
repository root on sys.path, so ``webpage`` is imported from there.
"""
import streamlit as st

st.set_page_config(page_title="attnviz", page_icon="🔎", layout="wide")   # the first streamlit call

from webpage.main import main  # noqa: E402 — after set_page_config

main()

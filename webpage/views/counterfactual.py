"""Counterfactual attention (Jain & Wallace 2019): the summary re-scored with each step's attention altered."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from attnviz.explanation import Explanation
from attnviz.plots import counterfactual_figure
from webpage import state
from webpage.widgets import number_table, plain


def counterfactual_section(explanation: Explanation, *, live: bool, error: str | None = None) -> None:
    """Counterfactual attention as filled in (live page: on request, its button here; the fill step computes
    it at the start of the run after the press), or as exported; ``error``: why the request failed."""
    st.markdown("**Does the model need its attention?** Re-score the summary with each step's attention spread "
                "evenly over the source, shuffled, or without its 3 most attended tokens (Jain & Wallace 2019).")
    result = explanation.counterfactual
    # drawn while not found, and once more in the run that computes it (where the button used to be pressed)
    if live and (result is None or state.pressed(state.COUNTERFACTUAL_BUTTON)):
        st.button("Counterfactual attention (1 teacher-forced pass of 4 rows)", key=state.COUNTERFACTUAL_BUTTON)
    if error is not None:
        st.error(plain(error))
    if result is None:
        return
    number_table(pd.DataFrame([{"attention": v.replace("_", " "), "mean Δ log-prob": f["mean_change"],
                                "largest drop": f["largest_drop"], "greedy token kept": f"{f['same_greedy_share']:.0%}"}
                               for v, f in result.summary().items()]))
    st.plotly_chart(counterfactual_figure(result.change, explanation.generation.summary_tokens),
                    key="counterfactual", width="stretch")

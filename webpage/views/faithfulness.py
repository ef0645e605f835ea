"""Faithfulness of the methods: comprehensiveness, sufficiency, AOPC and deletion curves against chance."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from attnviz.explain import method_title
from attnviz.explanation import Explanation
from attnviz.faithfulness import FRACTIONS, RANDOM
from attnviz.plots import deletion_figure
from webpage.widgets import plain

FAITHFULNESS_GUIDE = ("Remove each method's top-ranked source tokens (1, 5, 10, 20, 50%) and watch the summary "
                      "token's log-probability. Comprehensiveness = the drop when they are removed (higher: the method "
                      "found what the token needs); sufficiency = the drop when only they are kept (lower is better); "
                      "AOPC averages over the fractions. 'random' ranks the source at random: a method should beat it "
                      "by more than its spread.")


def faithfulness_heading() -> None:
    st.subheader("Faithfulness")
    st.caption(FAITHFULNESS_GUIDE)


def faithfulness_section(explanation: Explanation, focus: int) -> None:
    """Comprehensiveness, sufficiency, AOPC and deletion curves for every method and chance."""
    figures = explanation.faithfulness
    if figures is None:
        return
    rows = []
    for name, f in figures.items():
        spread = f.aopc_spread or {}
        rows.append({"method": method_title(name),
                     "AOPC comprehensiveness": _with_spread(f.aopc_comprehensiveness, spread.get("comprehensiveness")),
                     "AOPC sufficiency": _with_spread(f.aopc_sufficiency, spread.get("sufficiency")),
                     f"comprehensiveness, #{focus}": f"{f.comprehensiveness[focus].mean():.3f}",
                     f"sufficiency, #{focus}": f"{f.sufficiency[focus].mean():.3f}"})
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    tokens = explanation.generation.summary_tokens
    scope = st.radio("Deletion curves for", ["the whole summary", f"token #{focus} {plain(tokens[focus])}"],
                     horizontal=True, key="curve_scope")
    whole = scope == "the whole summary"
    curves = {method_title(name): f.deletion_curve if whole else f.deletion[focus] for name, f in figures.items()}
    spread = figures[RANDOM].curve_std if whole else None
    st.plotly_chart(deletion_figure(curves, FRACTIONS, spread=spread), width="stretch")
    cost = explanation.faithfulness_cost or {}
    if "distinct_masks" in cost:
        st.caption(f"{cost['distinct_masks']:,} distinct perturbed sources, {cost.get('seconds', 0):.1f} s.")


def _with_spread(value: float, std: float | None) -> str:
    return f"{value:.3f}" + (f" ± {std:.3f}" if std is not None else "")

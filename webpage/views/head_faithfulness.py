"""Which attention head is most faithful: each head's attention measured like a method."""
from __future__ import annotations

import streamlit as st

from attnviz.explanation import Explanation
from attnviz.plots import head_faithfulness_figure


def head_faithfulness_heading() -> None:
    st.markdown("**Which head is most faithful?** Each layer and head's attention, taken as a ranking of the "
                "source, measured like a method (on pieces).")


def head_faithfulness_section(explanation: Explanation, *, exported: bool) -> None:
    """Each head's AOPC comprehensiveness or sufficiency as a layers × heads map, the best head named."""
    heads = explanation.head_faithfulness
    if heads is None:
        if exported:
            st.caption("This explanation was exported without each head's faithfulness.")
        return
    measure = st.radio("Per head", ["comprehensiveness", "sufficiency"], horizontal=True, key="head_measure")
    st.plotly_chart(head_faithfulness_figure(heads, measure), key="head-faithfulness", width="stretch")
    layer, head = heads.most_faithful()
    chance, spread = heads.random["comprehensiveness"], heads.random["comprehensiveness_std"]
    st.caption(f"Most comprehensive: layer {layer}, head {head} (AOPC {heads.comprehensiveness[layer, head]:.3f}; "
               f"random order {chance:.3f} ± {spread:.3f}). {heads.cost.get('distinct_masks', 0):,} distinct "
               f"perturbed sources, {heads.cost.get('seconds', 0):.1f} s.")

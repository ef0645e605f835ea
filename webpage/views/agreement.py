"""How far the methods agree with attention and each other: matrix, per token, over seeds, per head."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from attnviz.agreement import METRIC_GUIDE, METRIC_LABELS, METRIC_RANGE, METRICS, head_agreement, nanmean
from attnviz.explain import method_title
from attnviz.explanation import ATTENTION, Explanation
from attnviz.plots import agreement_figure, agreement_matrix_figure, head_agreement_figure
from attnviz.stability import NOISE_SPREADS, within_noise
from webpage.widgets import number_table


def agreement_section(explanation: Explanation, focus: int) -> None:
    st.subheader("Agreement")
    agreement = explanation.compare()
    if len(agreement.methods) < 2:
        st.info("Run attribution methods (sidebar, then Explain) to compare them with attention.")
        return
    metric = st.selectbox("Metric", METRICS, index=METRICS.index("spearman_rho"), key="metric",
                          format_func=lambda m: METRIC_LABELS[m])
    st.caption(METRIC_GUIDE[metric] + " Scores are compared as magnitudes (|score|); tokens where a method gives "
               "every source token the same score are left out of the means.")
    left, right = st.columns(2)
    with left:
        names = [method_title(m) for m in agreement.methods]
        st.plotly_chart(agreement_matrix_figure(agreement.matrices[metric], names, metric), width="stretch")
    per_token = {method_title(m): rows[metric] for m, rows in agreement.with_attention.items()}
    tokens = explanation.generation.summary_tokens
    with right:
        st.plotly_chart(agreement_figure(per_token, tokens, focus=focus, y_range=METRIC_RANGE[metric],
                                         title=f"{METRIC_LABELS[metric]} with attention, per summary token"),
                        width="stretch")
    token = f"#{focus} {tokens[focus]}"
    number_table(pd.DataFrame([{"method": m, f"with attention, for {token}": v[focus],
                                "with attention, mean over the summary": nanmean(v)} for m, v in per_token.items()]))
    if explanation.stability:
        stability_table(explanation, metric, per_token)
    layers = explanation.generation.attention_layers
    if layers.shape[0] * layers.shape[1] > 1:
        heads_agreement(explanation, metric)


def stability_table(explanation: Explanation, metric: str, per_token: dict[str, np.ndarray]) -> None:
    """Each method's agreement with attention as mean ± std over seeds (one run: ± 0), its rank stability,
    and which other methods' agreement lies within the noise of the seeds."""
    spread = {m: (nanmean(v), 0.0) for m, v in per_token.items()}
    spread.update({method_title(m): (float(s.with_attention[metric].mean()), float(s.with_attention[metric].std()))
                   for m, s in explanation.stability.items() if s.with_attention is not None})
    stability = {method_title(m): s for m, s in explanation.stability.items()}
    rows = []
    for m, (mean, std) in spread.items():
        stable = stability.get(m)
        close = [o for o, (other, other_std) in spread.items() if o != m and within_noise(mean, other, [std, other_std])]
        rows.append({"method": m, f"{METRIC_LABELS[metric]} with attention over seeds": f"{mean:.3f} ± {std:.3f}",
                     "seeds": len(stable.seeds) if stable else 1,
                     "rank τ between seeds": f"{stable.mean_rank_tau:.3f}" if stable else "1 (deterministic)",
                     "within the noise of": ", ".join(close) or "–"})
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    st.caption(f"Over seeds: a difference in agreement smaller than {NOISE_SPREADS:g} standard deviations of the "
               "seeds is noise, not a difference between methods.")


def heads_agreement(explanation: Explanation, metric: str) -> None:
    """Which layer and head's attention agrees best with a chosen method (layers × heads, mean over tokens)."""
    methods = [m for m in explanation.attributions if m != ATTENTION]
    method = st.selectbox("Each head's attention against", methods, key="head_method", format_func=method_title)
    matrix = head_agreement(explanation.generation.attention_layers, explanation.scores[method], metric)
    st.plotly_chart(head_agreement_figure(matrix, method_title(method), metric), key="head-agreement",
                    width="stretch")
    if np.isfinite(matrix).any():
        best = np.nanargmin(matrix) if metric == "js_distance" else np.nanargmax(matrix)
        layer, head = divmod(int(best), matrix.shape[1])
        st.caption(f"Best: layer {layer}, head {head} ({METRIC_LABELS[metric]} {matrix[layer, head]:.3f}); the "
                   f"average over every head gives {nanmean(explanation.agreement.with_attention[method][metric]):.3f}.")

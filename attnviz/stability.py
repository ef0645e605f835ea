"""How stable a sampling method's explanation is across seeds (LIME, KernelSHAP, Partition SHAP).

The same method run with k seeds gives k score matrices [T, S] for one summary. From them: the per-cell
spread (standard deviation over seeds), the rank stability (mean Kendall τ-b of |scores| between every
pair of seeds, per summary token) and the method's agreement with attention per seed, so that a
difference in agreement smaller than the seeds' own spread can be called noise. A deterministic method
has spread 0 and τ 1. numpy only. Shapes: K seeds, T summary tokens, S source tokens.
"""
from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Any

import numpy as np

from attnviz.agreement import METRICS, agreement_rows, kendall_rows, nanmean
from attnviz.measures import Stability

NOISE_SPREADS = 2.0           # a difference within this many seed standard deviations is "within the noise"


def stability(method: str, seeds: Sequence[int], scores: Sequence[np.ndarray],
              attention: np.ndarray | None = None) -> Stability:
    """``Stability`` of ``method`` from its scores [T, S] under each of ``seeds`` (at least 2), with each
    seed's mean agreement with ``attention`` [T, S] where given."""
    if len(seeds) != len(scores) or len(seeds) < 2:
        raise ValueError(f"stability needs the scores of two or more seeds, got {len(scores)} for {len(seeds)} seeds")
    stack = np.stack([np.asarray(s, dtype=np.float64) for s in scores])            # (K, T, S)
    taus = np.stack([kendall_rows(np.abs(stack[i]), np.abs(stack[j])) for i, j in combinations(range(len(seeds)), 2)])
    per_token = np.array([nanmean(taus[:, t]) for t in range(stack.shape[1])])       # (T,)
    with_attention = None
    if attention is not None:
        with_attention = {m: np.array([nanmean(agreement_rows(attention, s)[m]) for s in stack]) for m in METRICS}
    return Stability(method=method, seeds=tuple(int(s) for s in seeds), mean=stack.mean(axis=0),
                     std=stack.std(axis=0), rank_tau=per_token, with_attention=with_attention)


def within_noise(a: float, b: float, spreads: Sequence[float | None], times: float = NOISE_SPREADS) -> bool:
    """Whether |a − b| is within ``times`` the largest of the given seed standard deviations (None: 0)."""
    noise = max([s for s in spreads if s is not None] or [0.0])
    return bool(abs(a - b) <= times * noise) if noise > 0 else a == b


def agreement_spread(stabilities: dict[str, Stability], metric: str) -> dict[str, dict[str, Any]]:
    """method → mean and std over seeds of its agreement with attention (``metric``), for the tables."""
    return {name: {"mean": float(s.with_attention[metric].mean()), "std": float(s.with_attention[metric].std())}
            for name, s in stabilities.items() if s.with_attention is not None}

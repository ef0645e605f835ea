"""Agreement between explanations of the same summary (numpy/scipy; no torch).

Shapes: T summary tokens, S source tokens. Row t of each matrix explains summary token t.
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy import stats


def spearman_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman ρ between row t of ``a`` and row t of ``b`` for every t → [T]; NaN where a row is constant
    (no ranking to compare) or S < 2."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"expected two [T, S] matrices of one shape, got {a.shape} and {b.shape}")
    out = np.full(a.shape[0], np.nan)
    for t in range(a.shape[0]):
        if a.shape[1] < 2 or np.ptp(a[t]) == 0 or np.ptp(b[t]) == 0:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", stats.ConstantInputWarning)
            out[t] = stats.spearmanr(a[t], b[t]).statistic
    return out


def rank_agreement(reference: np.ndarray, others: dict[str, np.ndarray], *, absolute: bool = True) -> dict[str, np.ndarray]:
    """Spearman ρ per summary token of each method in ``others`` with ``reference`` (e.g. attention) → {name: [T]}.

    ``absolute`` compares |scores|: attention is non-negative, and a token that pushes a prediction down is
    as relevant as one that pushes it up."""
    ref = np.abs(reference) if absolute else reference
    return {name: spearman_rows(ref, np.abs(m) if absolute else m) for name, m in others.items()}

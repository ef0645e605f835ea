"""Agreement between explanations of the same summary (numpy/scipy; no torch).

Shapes: T summary tokens, S source tokens. Row t of each matrix explains summary token t. By default the
metrics compare magnitudes (|score|): attention is non-negative, and a source token that pushes a
prediction down matters as much as one that pushes it up.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import special, stats

METRICS = ("kendall_tau_b", "spearman_rho", "top5_overlap", "top10pct_overlap", "js_distance")
METRIC_LABELS = {"kendall_tau_b": "Kendall τ-b", "spearman_rho": "Spearman ρ", "top5_overlap": "top-5 overlap",
                 "top10pct_overlap": "top-10% overlap", "js_distance": "Jensen-Shannon distance"}
METRIC_RANGE = {"kendall_tau_b": (-1, 1), "spearman_rho": (-1, 1), "top5_overlap": (0, 1), "top10pct_overlap": (0, 1),
                "js_distance": (0, 1)}
METRIC_GUIDE = {
    "kendall_tau_b": "Rank correlation over the source tokens: 1 same order, 0 unrelated, −1 opposite.",
    "spearman_rho": "Rank correlation over the source tokens: 1 same order, 0 unrelated, −1 opposite.",
    "top5_overlap": "Share of the 5 highest-scored source tokens that the two methods have in common.",
    "top10pct_overlap": "Share of the top 10% of source tokens that the two methods have in common.",
    "js_distance": "Distance between the two score distributions (normalised magnitudes): 0 identical, 1 disjoint."}


def _check_pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"expected two [T, S] matrices of one shape, got {a.shape} and {b.shape}")
    return a, b


def _rank_rows(a: np.ndarray, b: np.ndarray, statistic) -> np.ndarray:
    """``statistic(a[t], b[t])`` per row → [T]; NaN where a row is constant (no ranking) or S < 2."""
    out = np.full(a.shape[0], np.nan)
    for t in range(a.shape[0]):
        if a.shape[1] < 2 or np.ptp(a[t]) == 0 or np.ptp(b[t]) == 0:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", stats.ConstantInputWarning)
            out[t] = statistic(a[t], b[t])
    return out


def spearman_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman ρ between row t of ``a`` and row t of ``b`` for every t → [T] (ties get average ranks)."""
    a, b = _check_pair(a, b)
    return _rank_rows(a, b, lambda x, y: stats.spearmanr(x, y).statistic)


def kendall_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Kendall τ-b (ties corrected) per row → [T]."""
    a, b = _check_pair(a, b)
    return _rank_rows(a, b, lambda x, y: stats.kendalltau(x, y, variant="b").statistic)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest scores per row [T, k]; ties go to the earlier source position."""
    return np.argsort(-np.asarray(scores, dtype=np.float64), axis=-1, kind="stable")[..., :k]


def top_k_overlap(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    """|top-k(a[t]) ∩ top-k(b[t])| / k per row → [T] (k is capped at S)."""
    a, b = _check_pair(a, b)
    k = max(1, min(k, a.shape[1]))
    ta, tb = top_k(a, k), top_k(b, k)
    return np.array([len(set(x) & set(y)) / k for x, y in zip(ta.tolist(), tb.tolist())])


def js_distance_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Jensen-Shannon distance (base 2, in [0, 1]) between |a[t]| and |b[t]| normalised to sum 1 → [T];
    NaN where a row is all zero. scipy's ``jensenshannon`` formula, with the divergence clamped at 0 before
    the square root: rounding makes it slightly negative for (nearly) equal rows, where scipy returns NaN
    (attention and its copy share are such a pair when the pointer copies)."""
    a, b = _check_pair(a, b)
    pa, pb = np.abs(a), np.abs(b)
    sa, sb = pa.sum(axis=1, keepdims=True), pb.sum(axis=1, keepdims=True)
    p, q = pa / np.where(sa > 0, sa, 1.0), pb / np.where(sb > 0, sb, 1.0)
    m = (p + q) / 2
    divergence = (special.rel_entr(p, m).sum(axis=1) + special.rel_entr(q, m).sum(axis=1)) / (2 * math.log(2))
    return np.where((sa[:, 0] > 0) & (sb[:, 0] > 0), np.sqrt(np.maximum(divergence, 0.0)), np.nan)


def agreement_rows(a: np.ndarray, b: np.ndarray, *, absolute: bool = True) -> dict[str, np.ndarray]:
    """Every metric in ``METRICS`` per summary token → {metric: [T]}. Rankings use |scores| when
    ``absolute``; the JS distance always compares normalised magnitudes. Top 10% means ⌈0.1·S⌉ tokens."""
    a, b = _check_pair(a, b)
    ra, rb = (np.abs(a), np.abs(b)) if absolute else (a, b)
    return {"kendall_tau_b": kendall_rows(ra, rb), "spearman_rho": spearman_rows(ra, rb),
            "top5_overlap": top_k_overlap(ra, rb, 5),
            "top10pct_overlap": top_k_overlap(ra, rb, math.ceil(0.1 * a.shape[1])),
            "js_distance": js_distance_rows(a, b)}


def nanmean(values: np.ndarray) -> float:
    """Mean ignoring NaN; NaN when every value is NaN (without numpy's warning)."""
    values = np.asarray(values, dtype=np.float64)
    return float(values[np.isfinite(values)].mean()) if np.isfinite(values).any() else float("nan")


def agreement_matrices(scores: dict[str, np.ndarray], *, absolute: bool = True) -> dict[str, np.ndarray]:
    """Every metric as a method × method matrix [M, M] of means over summary tokens (methods in dict
    order); each pair is compared once."""
    names = list(scores)
    out = {metric: np.empty((len(names), len(names))) for metric in METRICS}
    for i, x in enumerate(names):
        for j in range(i, len(names)):
            rows = agreement_rows(scores[x], scores[names[j]], absolute=absolute)
            for metric in METRICS:
                out[metric][i, j] = out[metric][j, i] = nanmean(rows[metric])
    return out



def head_agreement(layers: np.ndarray, scores: np.ndarray, metric: str, *, absolute: bool = True) -> np.ndarray:
    """``metric`` between each layer and head's attention (``layers`` [L, H, T, S]) and ``scores`` [T, S],
    as the mean over summary tokens → [L, H] (NaN where no token can be ranked)."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; valid: {', '.join(METRICS)}")
    layers = np.asarray(layers, dtype=np.float64)
    if layers.ndim != 4 or layers.shape[2:] != np.shape(scores):
        raise ValueError(f"expected attention [L, H, T, S] and scores [T, S], got {layers.shape} and {np.shape(scores)}")
    return np.array([[nanmean(agreement_rows(layers[l, h], scores, absolute=absolute)[metric])
                      for h in range(layers.shape[1])] for l in range(layers.shape[0])])

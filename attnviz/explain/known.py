"""Known answers the estimators must approach, computed directly from the explained function:
exact Shapley values and exact Owen values by enumerating every coalition of a short source, and LIME's
weighted ridge regression solved in closed form on the samples captum drew.

Used by ``python -m attnviz check`` and the tests. Shapes: S source tokens (≤ ``MAX_EXACT_TOKENS`` for
enumeration), T summary tokens, n samples.
"""
from __future__ import annotations

import math
from itertools import product

import numpy as np
import torch

from attnviz.explain.reference import LIME_RIDGE_ALPHA, make_lime
from attnviz.models.scorer import Scorer

MAX_EXACT_TOKENS = 12


def all_coalitions(s: int) -> np.ndarray:
    """Every presence mask of s tokens → bool [2^s, S]; row k has token j present iff bit j of k is set."""
    if s > MAX_EXACT_TOKENS:
        raise ValueError(f"enumeration needs at most {MAX_EXACT_TOKENS} source tokens, not {s}")
    k = np.arange(2 ** s)[:, None]
    return (k >> np.arange(s)[None, :]) & 1 == 1


def coalition_values(scorer: Scorer) -> np.ndarray:
    """f_t on every coalition → float64 [2^S, T] (row k as in ``all_coalitions``)."""
    return scorer.score_masks(all_coalitions(scorer.source_len))


def exact_shapley(values: np.ndarray, s: int) -> np.ndarray:
    """Shapley values φ_tj = Σ_{A ∌ j} |A|!(s−|A|−1)!/s! (v(A ∪ j) − v(A)) from ``values`` [2^s, T] → [T, S]."""
    masks = all_coalitions(s)
    sizes = masks.sum(axis=1)
    phi = np.zeros((values.shape[1], s))
    for j in range(s):
        without = np.flatnonzero(~masks[:, j])                           # coalitions A without j
        weight = np.array([math.factorial(k) * math.factorial(s - k - 1) / math.factorial(s) for k in sizes[without]])
        phi[:, j] = weight @ (values[without + 2 ** j] - values[without])
    return phi


def _children(linkage: np.ndarray, s: int) -> dict[int, tuple[int, int]]:
    return {s + i: (int(row[0]), int(row[1])) for i, row in enumerate(linkage)}


def _leaves(node: int, children: dict[int, tuple[int, int]]) -> list[int]:
    return [node] if node not in children else [j for c in children[node] for j in _leaves(c, children)]


def exact_owen(values: np.ndarray, linkage: np.ndarray, s: int) -> np.ndarray:
    """Owen values for the binary hierarchy of ``linkage`` [S−1, 4] (scipy format) from ``values`` [2^s, T]
    → [T, S]. At every split the two halves play a two-player game, so along the path from the root to
    token j each sibling subtree is present or absent with weight ½:
    φ_tj = 2^{−d} Σ_{b ∈ {0,1}^d} (v(C_b ∪ j) − v(C_b)), C_b = the siblings b switches on."""
    children = _children(linkage, s)
    parent = {c: p for p, pair in children.items() for c in pair}
    phi = np.zeros((values.shape[1], s))
    for j in range(s):
        siblings, node = [], j
        while node in parent:
            a, b = children[parent[node]]
            siblings.append(sum(1 << k for k in _leaves(b if a == node else a, children)))
            node = parent[node]
        for bits in product((0, 1), repeat=len(siblings)):
            context = sum(m for m, on in zip(siblings, bits) if on)
            phi[:, j] += values[context | (1 << j)] - values[context]
        phi[:, j] /= 2 ** len(siblings)
    return phi


class _LoggingForward:
    """Forward function that remembers every presence mask it is asked for, in order."""

    def __init__(self, scorer: Scorer) -> None:
        self.scorer = scorer
        self.masks: list[np.ndarray] = []

    def __call__(self, presence: torch.Tensor) -> torch.Tensor:
        keep = (presence.reshape(presence.shape[0], -1) > 0.5).cpu().numpy()
        self.masks.extend(keep)
        return self.scorer.score_keep(keep)


def lime_by_ridge(scorer: Scorer, t: int, *, n_samples: int, seed: int) -> np.ndarray:
    """LIME's coefficients for summary token t solved directly → [S]: the samples captum draws for this
    seed, captum's kernel written out (exp(−d²/2), d = 1 − cos(1, z) = 1 − √(|z|/S)), and the weighted
    ridge regression with intercept, (Zcᵀ W Zc + α I) β = Zcᵀ W yc with weighted centring."""
    forward = _LoggingForward(scorer)
    torch.manual_seed(seed)
    presence = torch.ones(1, scorer.source_len, device=scorer.device)
    make_lime(forward).attribute(presence, baselines=0.0, target=t, n_samples=n_samples,
                                 perturbations_per_eval=scorer.batch_size,
                                 feature_mask=torch.arange(scorer.source_len, device=presence.device).unsqueeze(0))
    z = np.stack(forward.masks).astype(np.float64)                        # (n, S)
    y = scorer.score_masks(z)[:, t]                                      # (n,)
    distance = 1 - np.sqrt(z.sum(axis=1) / z.shape[1])
    w = np.exp(-distance ** 2 / 2)
    zc = z - (w @ z) / w.sum()
    yc = y - (w @ y) / w.sum()
    return np.linalg.solve(zc.T @ (w[:, None] * zc) + LIME_RIDGE_ALPHA * np.eye(z.shape[1]), zc.T @ (w * yc))

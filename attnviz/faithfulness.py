"""Faithfulness of each method's ranking of the source (ERASER, DeYoung et al. 2020, adapted to generation).

For summary token t and a method's row t, rank the source tokens by score (highest first; ties to the
earlier position) and take the top k% (at least one token):

* comprehensiveness(k) = f_t(x) − f_t(x without the top k%)   — high: the method found what the token needs;
* sufficiency(k)       = f_t(x) − f_t(only the top k% kept)    — low: those tokens alone nearly suffice;
* AOPC = the mean over k ∈ ``FRACTIONS``; the deletion curve = f_t after removing the top k%, k = 0 … 50%.

f_t is the teacher-forced log-probability of summary token t; a removed token is absent (see
``attnviz.explain.base``), as for every attribution method. A random
order per row (``random_orders`` of them, seeded) is the chance baseline, reported with its spread.
Every perturbed source of every method goes through the model once (identical masks are shared), in
batches, and is scored for all T summary tokens.
Shapes: T summary tokens, S source tokens, K fractions, R random orders.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from attnviz.explain.base import ForcedScorer

FRACTIONS = (0.01, 0.05, 0.10, 0.20, 0.50)
RANDOM = "random"


@dataclass
class Faithfulness:
    """One method's figures: per summary token and fraction, and their means."""

    method: str
    fractions: tuple[float, ...]
    comprehensiveness: np.ndarray      # [T, K]
    sufficiency: np.ndarray            # [T, K]
    deletion: np.ndarray               # [T, K + 1]: f_t after removing the top 0, k1, … kK of the source
    aopc_spread: dict[str, float] | None = None   # random baseline: std of the AOPCs over the R orders
    curve_std: np.ndarray | None = None           # random baseline: std of the mean deletion curve [K + 1]

    @property
    def aopc_comprehensiveness(self) -> float:
        return float(self.comprehensiveness.mean())

    @property
    def aopc_sufficiency(self) -> float:
        return float(self.sufficiency.mean())

    def to_json(self) -> dict[str, Any]:
        out = {"fractions": list(self.fractions), "aopc_comprehensiveness": round(self.aopc_comprehensiveness, 6),
               "aopc_sufficiency": round(self.aopc_sufficiency, 6),
               "comprehensiveness": np.round(self.comprehensiveness, 6).tolist(),
               "sufficiency": np.round(self.sufficiency, 6).tolist(),
               "deletion": np.round(self.deletion, 6).tolist(),
               "deletion_curve": np.round(self.deletion.mean(axis=0), 6).tolist()}
        if self.aopc_spread is not None:
            out["aopc_std"] = {k: round(v, 6) for k, v in self.aopc_spread.items()}
        if self.curve_std is not None:
            out["deletion_curve_std"] = np.round(self.curve_std, 6).tolist()
        return out


def token_counts(source_len: int, fractions: tuple[float, ...] = FRACTIONS) -> list[int]:
    """How many top tokens each fraction covers: ⌈k·S⌉, at least 1, at most S."""
    if not fractions or any(not 0 < f <= 1 for f in fractions):
        raise ValueError(f"fractions must lie in (0, 1], got {fractions}")
    return [min(source_len, max(1, math.ceil(f * source_len))) for f in fractions]


def _orders(scores: np.ndarray) -> np.ndarray:
    """Source positions by descending score per row [T, S] (stable: ties keep source order)."""
    return np.argsort(-np.asarray(scores, dtype=np.float64), axis=1, kind="stable")


class _MaskBank:
    """Collects keep masks [S] (True = token kept), each distinct mask once."""

    def __init__(self) -> None:
        self.index: dict[bytes, int] = {}
        self.masks: list[np.ndarray] = []

    def add(self, keep: np.ndarray) -> int:
        """The mask's row in the batch that will be scored (an earlier identical mask's row, if any)."""
        key = np.packbits(keep).tobytes()
        if key not in self.index:
            self.index[key] = len(self.masks)
            self.masks.append(keep)
        return self.index[key]


def faithfulness(scorer: ForcedScorer, scores: dict[str, np.ndarray], *, fractions: tuple[float, ...] = FRACTIONS,
                 random_orders: int = 10, seed: int = 0) -> tuple[dict[str, Faithfulness], dict[str, Any]]:
    """Faithfulness of every method in ``scores`` ({name: [T, S]}) plus the random baseline under the key
    ``"random"``; → (figures by method, cost: forward passes and seconds)."""
    start, passes0 = time.perf_counter(), scorer.forward_passes
    t_len, s_len = scorer.summary_len, scorer.source_len
    counts = token_counts(s_len, fractions)
    if random_orders < 1:
        raise ValueError("random_orders must be at least 1")
    rng = np.random.default_rng(seed)
    orders = {name: _orders(m) for name, m in scores.items()}
    for name, order in orders.items():
        if order.shape != (t_len, s_len):
            raise ValueError(f"{name}: scores have shape {order.shape}, expected {(t_len, s_len)}")
    randoms = [np.stack([rng.permutation(s_len) for _ in range(t_len)]) for _ in range(random_orders)]

    bank = _MaskBank()
    full = bank.add(np.ones(s_len, dtype=bool))
    plan: dict[str, tuple[np.ndarray, np.ndarray]] = {}        # name → (removed ids [T, K], kept-only ids [T, K])
    for name, order in list(orders.items()) + [(f"{RANDOM}#{r}", o) for r, o in enumerate(randoms)]:
        removed, kept = np.empty((t_len, len(counts)), dtype=int), np.empty((t_len, len(counts)), dtype=int)
        for t in range(t_len):
            for i, k in enumerate(counts):
                top = np.zeros(s_len, dtype=bool)
                top[order[t, :k]] = True
                removed[t, i], kept[t, i] = bank.add(~top), bank.add(top)
        plan[name] = (removed, kept)

    outputs = scorer.score_keep(np.stack(bank.masks)).cpu().numpy()      # (N, T)
    rows = np.arange(t_len)[:, None]
    f_full = outputs[full]                                                 # (T,)

    def figures(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        removed, kept = plan[name]
        without, only = outputs[removed, rows], outputs[kept, rows]        # (T, K) each: row t's own output
        return f_full[:, None] - without, f_full[:, None] - only, np.concatenate([f_full[:, None], without], axis=1)

    results = {name: Faithfulness(name, tuple(fractions), *figures(name)) for name in orders}
    per_random = [figures(f"{RANDOM}#{r}") for r in range(random_orders)]
    comp, suff, dele = (np.mean([p[i] for p in per_random], axis=0) for i in range(3))
    spread = {"comprehensiveness": float(np.std([p[0].mean() for p in per_random])),
              "sufficiency": float(np.std([p[1].mean() for p in per_random]))}
    curve_std = np.std([p[2].mean(axis=0) for p in per_random], axis=0)
    results[RANDOM] = Faithfulness(RANDOM, tuple(fractions), comp, suff, dele, spread, curve_std)
    cost = {"forward_passes": scorer.forward_passes - passes0, "distinct_masks": len(bank.masks),
            "seconds": round(time.perf_counter() - start, 4), "random_orders": random_orders, "seed": seed}
    return results, cost

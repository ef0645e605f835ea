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
from typing import Any, Protocol

import numpy as np

from attnviz.measures import Faithfulness, HeadFaithfulness

FRACTIONS = (0.01, 0.05, 0.10, 0.20, 0.50)
RANDOM = "random"


class MaskScorer(Protocol):
    """What faithfulness needs of a model's scorer (every ``attnviz.models.scorer.Scorer`` is one)."""

    source_len: int
    summary_len: int
    forward_passes: int

    def score_masks(self, keep: np.ndarray) -> np.ndarray:
        """keep [N, S] bool → f [N, T] float64."""


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


def faithfulness_passes(methods: int, summary_len: int, random_orders: int,
                        fractions: tuple[float, ...] = FRACTIONS) -> int:
    """An upper bound of the distinct perturbed sources faithfulness scores (identical masks run once)."""
    return (methods + random_orders) * summary_len * len(fractions) * 2 + 1


@dataclass
class RemovalPlan:
    """Every distinct keep mask [N, S] that faithfulness will score, and where each figure reads it:
    ``rows[name] = (removed [T, K], kept-only [T, K])`` indices into ``masks`` (random orders as
    ``"random#r"``); ``full`` is the intact source's row."""

    masks: np.ndarray
    full: int
    rows: dict[str, tuple[np.ndarray, np.ndarray]]
    random_orders: int

    @property
    def forward_passes(self) -> int:
        return len(self.masks)


def plan_removals(scores: dict[str, np.ndarray], *, fractions: tuple[float, ...] = FRACTIONS, random_orders: int = 10,
                  seed: int = 0) -> RemovalPlan:
    """The masks for every method's ranking in ``scores`` ({name: [T, S]}) and ``random_orders`` seeded
    random rankings; no model call, so the exact cost is known before anything runs."""
    if not scores:
        raise ValueError("faithfulness needs at least one method's scores")
    if random_orders < 1:
        raise ValueError("random_orders must be at least 1")
    t_len, s_len = np.shape(next(iter(scores.values())))
    counts = token_counts(s_len, fractions)
    orders = {name: _orders(m) for name, m in scores.items()}
    for name, order in orders.items():
        if order.shape != (t_len, s_len):
            raise ValueError(f"{name}: scores have shape {order.shape}, expected {(t_len, s_len)}")
    rng = np.random.default_rng(seed)
    for r in range(random_orders):
        orders[f"{RANDOM}#{r}"] = np.stack([rng.permutation(s_len) for _ in range(t_len)])

    bank = _MaskBank()
    full = bank.add(np.ones(s_len, dtype=bool))
    rows: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, order in orders.items():
        removed, kept = np.empty((t_len, len(counts)), dtype=int), np.empty((t_len, len(counts)), dtype=int)
        for t in range(t_len):
            for i, k in enumerate(counts):
                top = np.zeros(s_len, dtype=bool)
                top[order[t, :k]] = True
                removed[t, i], kept[t, i] = bank.add(~top), bank.add(top)
        rows[name] = (removed, kept)
    return RemovalPlan(np.stack(bank.masks), full, rows, random_orders)


def faithfulness(scorer: MaskScorer, scores: dict[str, np.ndarray], *, fractions: tuple[float, ...] = FRACTIONS,
                 random_orders: int = 10, seed: int = 0) -> tuple[dict[str, Faithfulness], dict[str, Any]]:
    """Faithfulness of every method in ``scores`` ({name: [T, S]}) plus the random baseline under the key
    ``"random"``; → (figures by method, cost: forward passes and seconds)."""
    start, passes0 = time.perf_counter(), scorer.forward_passes
    for name, m in scores.items():
        if np.shape(m) != (scorer.summary_len, scorer.source_len):
            raise ValueError(f"{name}: scores have shape {np.shape(m)}, expected "
                             f"{(scorer.summary_len, scorer.source_len)}")
    plan = plan_removals(scores, fractions=fractions, random_orders=random_orders, seed=seed)
    outputs = scorer.score_masks(plan.masks)                              # (N, T)
    rows = np.arange(scorer.summary_len)[:, None]
    f_full = outputs[plan.full]                                           # (T,)

    def figures(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        removed, kept = plan.rows[name]
        without, only = outputs[removed, rows], outputs[kept, rows]        # (T, K) each: row t's own output
        return f_full[:, None] - without, f_full[:, None] - only, np.concatenate([f_full[:, None], without], axis=1)

    results = {name: Faithfulness(name, tuple(fractions), *figures(name)) for name in scores}
    per_random = [figures(f"{RANDOM}#{r}") for r in range(random_orders)]
    comp, suff, dele = (np.mean([p[i] for p in per_random], axis=0) for i in range(3))
    spread = {"comprehensiveness": float(np.std([p[0].mean() for p in per_random])),
              "sufficiency": float(np.std([p[1].mean() for p in per_random]))}
    curve_std = np.std([p[2].mean(axis=0) for p in per_random], axis=0)
    results[RANDOM] = Faithfulness(RANDOM, tuple(fractions), comp, suff, dele, spread, curve_std)
    cost = {"forward_passes": scorer.forward_passes - passes0, "distinct_masks": plan.forward_passes,
            "seconds": round(time.perf_counter() - start, 4), "random_orders": random_orders, "seed": seed}
    return results, cost


def head_scores(layers: np.ndarray) -> dict[str, np.ndarray]:
    """Each layer and head's attention (``layers`` [L, H, T, S]) as one ranking, named "layer l head h"."""
    layers = np.asarray(layers)
    if layers.ndim != 4:
        raise ValueError(f"expected attention [L, H, T, S], got shape {layers.shape}")
    return {f"layer {l} head {h}": layers[l, h] for l in range(layers.shape[0]) for h in range(layers.shape[1])}


def head_faithfulness(scorer: MaskScorer, layers: np.ndarray, *, fractions: tuple[float, ...] = FRACTIONS,
                      random_orders: int = 10, seed: int = 0) -> HeadFaithfulness:
    """Which head is most faithful: ``faithfulness`` of every layer and head's attention ([L, H, T, S]) as a
    ranking, reduced to AOPCs [L, H]; the random baseline is the one ``faithfulness`` draws with this seed."""
    scores = head_scores(layers)
    figures, cost = faithfulness(scorer, scores, fractions=fractions, random_orders=random_orders, seed=seed)
    names, base, shape = list(scores), figures[RANDOM], np.shape(layers)[:2]
    spread = base.aopc_spread or {}
    return HeadFaithfulness(
        base.fractions,
        np.reshape([figures[n].aopc_comprehensiveness for n in names], shape),
        np.reshape([figures[n].aopc_sufficiency for n in names], shape),
        {"comprehensiveness": base.aopc_comprehensiveness, "sufficiency": base.aopc_sufficiency,
         "comprehensiveness_std": spread.get("comprehensiveness", float("nan")),
         "sufficiency_std": spread.get("sufficiency", float("nan"))}, cost)

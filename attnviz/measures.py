"""What is measured on an explained summary, as plain values: ``Faithfulness`` (one method's removal figures),
``HeadFaithfulness`` (each head's), ``Counterfactual`` (attention replaced) and ``Stability`` (a sampling
method over seeds). Each has ``to_json`` and ``from_json``. Shapes: T summary tokens, S source tokens,
L layers, H heads, K removal fractions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from attnviz.errors import DocumentError
from attnviz.jsonvalues import (
    MAX_COUNT,
    MAX_SEED,
    built_from_document,
    check_names,
    describe,
    finite,
    read_array,
    read_float,
    read_int,
    read_object,
    read_plain,
    rounded,
)

MAX_FRACTIONS = 100                   # removal fractions of a faithfulness measurement
MAX_VARIANTS = 100                    # counterfactual variants
MAX_SEEDS = 10_000                    # seeds of a stability run
AOPC_SPREADS = ("comprehensiveness", "sufficiency")
HEAD_BASELINE = ("comprehensiveness", "sufficiency", "comprehensiveness_std", "sufficiency_std")
COST_COUNTS = ("forward_passes", "distinct_masks", "random_orders", "seed")


@dataclass
class Faithfulness:
    """One method's removal figures: per summary token and fraction, and their means."""

    method: str
    fractions: tuple[float, ...]
    comprehensiveness: np.ndarray      # [T, K]
    sufficiency: np.ndarray            # [T, K]
    deletion: np.ndarray               # [T, K + 1]: f_t after removing the top 0, k1, … kK of the source
    aopc_spread: dict[str, float] | None = None   # random baseline: std of the AOPCs over the R orders
    curve_std: np.ndarray | None = None           # random baseline: std of the mean deletion curve [K + 1]

    def __post_init__(self) -> None:
        t, k = self.comprehensiveness.shape if self.comprehensiveness.ndim == 2 else (-1, -1)
        if k != len(self.fractions) or self.sufficiency.shape != (t, k) or self.deletion.shape != (t, k + 1):
            raise ValueError(f"{self.method}: faithfulness figures do not match {len(self.fractions)} fractions")

    @property
    def aopc_comprehensiveness(self) -> float:
        return float(self.comprehensiveness.mean())

    @property
    def aopc_sufficiency(self) -> float:
        return float(self.sufficiency.mean())

    @property
    def deletion_curve(self) -> np.ndarray:
        """The deletion curve averaged over summary tokens [K + 1]."""
        return self.deletion.mean(axis=0)

    def to_json(self) -> dict[str, Any]:
        out = {"fractions": list(self.fractions), "aopc_comprehensiveness": round(self.aopc_comprehensiveness, 6),
               "aopc_sufficiency": round(self.aopc_sufficiency, 6),
               "comprehensiveness": rounded(self.comprehensiveness),
               "sufficiency": rounded(self.sufficiency),
               "deletion": rounded(self.deletion),
               "deletion_curve": rounded(self.deletion_curve)}
        if self.aopc_spread is not None:
            out["aopc_std"] = {k: round(v, 6) for k, v in self.aopc_spread.items()}
        if self.curve_std is not None:
            out["deletion_curve_std"] = rounded(self.curve_std)
        return out

    @classmethod
    def from_json(cls, method: str, document: dict[str, Any], summary_len: int | str = "T",
                  fractions: int | str = "K") -> Faithfulness:
        """The inverse of ``to_json`` for ``method``'s figures over ``summary_len`` tokens and ``fractions``
        removal fractions (sizes, or letters for any); every field checked."""
        where = f"faithfulness.methods.{method}."
        if not isinstance(document, dict):
            raise DocumentError(f"faithfulness.methods.{method} must be an object ({{…}}), not {describe(document)}")
        shares = read_array(document, "fractions", shape=(fractions,), kind="number", where=where,
                            of="the shares of the source removed")
        if not ((shares > 0) & (shares <= 1)).all() or len(shares) > MAX_FRACTIONS:
            raise DocumentError(f"{where}fractions must be 1 to {MAX_FRACTIONS} shares of the source, each above 0 "
                                "and at most 1")
        k, t = len(shares), summary_len
        per_fraction = "summary tokens × fractions"
        spread = read_object(document, "aopc_std", where=where, default=None)
        if spread is not None:
            check_names(spread, "figure", where=where + "aopc_std", max_names=len(AOPC_SPREADS))
            spread = {name: read_float(spread, name, low=0.0, where=where + "aopc_std.") for name in spread}
        with built_from_document(f"{where[:-1]}: "):
            return cls(method=method, fractions=tuple(float(f) for f in shares),
                       comprehensiveness=read_array(document, "comprehensiveness", shape=(t, k), where=where,
                                                    of=per_fraction),
                       sufficiency=read_array(document, "sufficiency", shape=(t, k), where=where, of=per_fraction),
                       deletion=read_array(document, "deletion", shape=(t, k + 1), where=where,
                                           of="summary tokens × (nothing removed, then each fraction)"),
                       aopc_spread=spread,
                       curve_std=read_array(document, "deletion_curve_std", shape=(k + 1,), where=where,
                                            of="nothing removed, then each fraction", optional=True))


@dataclass
class HeadFaithfulness:
    """Each layer and head's attention taken as a ranking of the source, measured like a method: AOPC
    comprehensiveness and sufficiency [L, H] (means over summary tokens and fractions), beside the random
    baseline's AOPCs and their spread over its orders (``random``: comprehensiveness, sufficiency,
    comprehensiveness_std, sufficiency_std), and what it cost."""

    fractions: tuple[float, ...]
    comprehensiveness: np.ndarray        # [L, H]
    sufficiency: np.ndarray              # [L, H]
    random: dict[str, float]
    cost: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.comprehensiveness.ndim != 2 or self.sufficiency.shape != self.comprehensiveness.shape:
            raise ValueError(f"head faithfulness needs two [L, H] arrays, got {self.comprehensiveness.shape} "
                             f"and {self.sufficiency.shape}")

    def most_faithful(self) -> tuple[int, int]:
        """(layer, head) of the highest AOPC comprehensiveness."""
        return divmod(int(np.nanargmax(self.comprehensiveness)), self.comprehensiveness.shape[1])

    def to_json(self) -> dict[str, Any]:
        return {"fractions": list(self.fractions), "aopc_comprehensiveness": rounded(self.comprehensiveness),
                "aopc_sufficiency": rounded(self.sufficiency), "random": finite(self.random), "cost": finite(self.cost)}

    @classmethod
    def from_json(cls, document: dict[str, Any], layers: int | str = "L", heads: int | str = "H") -> HeadFaithfulness:
        """The inverse of ``to_json`` for a model of ``layers`` × ``heads`` (sizes, or letters for any); every
        field checked (the AOPCs finite: the most faithful head is picked among them)."""
        where = "head_faithfulness."
        if not isinstance(document, dict):
            raise DocumentError(f"head_faithfulness must be an object ({{…}}) or null, not {describe(document)}")
        shares = read_array(document, "fractions", shape=("K",), kind="number", where=where,
                            of="the shares of the source removed")
        random = read_object(document, "random", where=where)
        with built_from_document("head_faithfulness: "):
            return cls(fractions=tuple(float(f) for f in shares),
                       comprehensiveness=read_array(document, "aopc_comprehensiveness", shape=(layers, heads),
                                                    kind="number", where=where, of="layers × heads"),
                       sufficiency=read_array(document, "aopc_sufficiency", shape=(layers, heads), kind="number",
                                              where=where, of="layers × heads"),
                       random={name: read_float(random, name, where=where + "random.", nullable=True)
                               for name in HEAD_BASELINE},
                       cost=read_cost(document, "cost", where=where))


@dataclass
class Counterfactual:
    """Counterfactual attention (``attnviz.models.pointer.counterfactual``): per variant, Δ log-prob [T] (variant −
    original) and whether the greedy token is unchanged [T]."""

    k: int
    seed: int
    original: np.ndarray                       # [T] teacher-forced log-probs with the model's own attention
    original_greedy: np.ndarray                # [T] bool: the model's own argmax is the summary token
    change: dict[str, np.ndarray]              # variant → [T]
    same_greedy: dict[str, np.ndarray]         # variant → [T] bool
    seconds: float = 0.0
    forward_passes: int = 1

    def summary(self) -> dict[str, dict[str, float]]:
        """variant → mean Δ log-prob, largest drop, share of tokens whose greedy choice stays."""
        return {v: {"mean_change": float(self.change[v].mean()), "largest_drop": float(self.change[v].min()),
                    "same_greedy_share": float(self.same_greedy[v].mean())} for v in self.change}

    def to_json(self) -> dict[str, Any]:
        return {"k": self.k, "seed": self.seed, "original_logprobs": rounded(self.original),
                "original_greedy": self.original_greedy.tolist(), "seconds": round(self.seconds, 4),
                "forward_passes": self.forward_passes,
                "variants": {v: {"logprob_change": rounded(self.change[v]), "same_greedy": self.same_greedy[v].tolist(),
                                 **{key: round(val, 6) for key, val in self.summary()[v].items()}} for v in self.change}}

    @classmethod
    def from_json(cls, document: dict[str, Any], summary_len: int | str = "T") -> Counterfactual:
        """The inverse of ``to_json`` over ``summary_len`` summary tokens (a size, or a letter for any); every
        field checked."""
        where, per_token = "counterfactual.", "one per summary token"
        if not isinstance(document, dict):
            raise DocumentError(f"counterfactual must be an object ({{…}}) or null, not {describe(document)}")
        variants = read_object(document, "variants", where=where)
        check_names(variants, "variant", where=where + "variants", max_names=MAX_VARIANTS)
        for v in variants:
            read_object(variants, v, where=where + "variants.")
        original = read_array(document, "original_logprobs", shape=(summary_len,), where=where, of=per_token)
        t = len(original)
        inner = {v: f"{where}variants.{v}." for v in variants}
        return cls(k=read_int(document, "k", low=0, high=MAX_COUNT, where=where),
                   seed=read_int(document, "seed", low=0, high=MAX_SEED, where=where),
                   original=original,
                   original_greedy=read_array(document, "original_greedy", shape=(t,), kind="flag", where=where,
                                              of=per_token),
                   change={v: read_array(variants[v], "logprob_change", shape=(t,), where=inner[v], of=per_token)
                           for v in variants},
                   same_greedy={v: read_array(variants[v], "same_greedy", shape=(t,), kind="flag", where=inner[v],
                                              of=per_token) for v in variants},
                   seconds=read_float(document, "seconds", low=0.0, where=where, default=0.0),
                   forward_passes=read_int(document, "forward_passes", low=0, high=MAX_COUNT, where=where, default=1))


@dataclass
class Stability:
    """One method run with several seeds (``attnviz.stability``): mean and std of its scores over the seeds
    [T, S], the mean Kendall τ-b between seeds per summary token [T], and its mean agreement with attention
    per seed ({metric: [K]}) where attention was given."""

    method: str
    seeds: tuple[int, ...]
    mean: np.ndarray                             # [T, S]
    std: np.ndarray                              # [T, S]
    rank_tau: np.ndarray                         # [T]
    with_attention: dict[str, np.ndarray] | None = None   # metric → [K]

    def __post_init__(self) -> None:
        if self.std.shape != self.mean.shape or self.rank_tau.shape != self.mean.shape[:1]:
            raise ValueError(f"{self.method}: stability figures do not match scores of shape {self.mean.shape}")

    @property
    def mean_rank_tau(self) -> float:
        finite_values = self.rank_tau[np.isfinite(self.rank_tau)]
        return float(finite_values.mean()) if finite_values.size else float("nan")

    def to_json(self) -> dict[str, Any]:
        out = {"seeds": list(self.seeds), "mean": rounded(self.mean), "std": rounded(self.std),
               "rank_tau": rounded(self.rank_tau), "mean_rank_tau": rounded(self.mean_rank_tau)}
        if self.with_attention is not None:
            out["with_attention"] = {m: rounded(v) for m, v in self.with_attention.items()}
        return out

    @classmethod
    def from_json(cls, method: str, document: dict[str, Any], shape: tuple[int, int] | None = None,
                  metrics: tuple[str, ...] = ()) -> Stability:
        """The inverse of ``to_json`` for ``method``'s spread over scores of ``shape`` [T, S] (None: any), its
        agreement with attention holding every one of ``metrics``; every field checked."""
        where = f"stability.{method}."
        if not isinstance(document, dict):
            raise DocumentError(f"stability.{method} must be an object ({{…}}), not {describe(document)}")
        t, u = shape or ("T", "S")
        seeds = read_array(document, "seeds", shape=("K",), kind="whole", high=MAX_SEED, where=where,
                           of="the seeds run")
        if len(seeds) > MAX_SEEDS:
            raise DocumentError(f"{where}seeds names {len(seeds):,} seeds; at most {MAX_SEEDS:,} are read")
        agreement = read_object(document, "with_attention", where=where, default=None)
        if agreement is not None:
            names = check_names(agreement, "metric", where=where + "with_attention", max_names=max(len(metrics), 100))
            missing = [m for m in metrics if m not in names]
            if missing:
                raise DocumentError(f"{where}with_attention.{missing[0]} is missing")
            agreement = {m: read_array(agreement, m, shape=(len(seeds),), where=where + "with_attention.",
                                       of="one mean per seed") for m in names}
        mean = read_array(document, "mean", shape=(t, u), where=where, of="summary tokens × source units")
        with built_from_document(f"stability.{method}: "):
            return cls(method=method, seeds=tuple(int(s) for s in seeds), mean=mean,
                       std=read_array(document, "std", shape=mean.shape, where=where, of="summary tokens × source units"),
                       rank_tau=read_array(document, "rank_tau", shape=mean.shape[:1], where=where,
                                           of="one per summary token"),
                       with_attention=agreement)


def read_cost(document: dict[str, Any], key: str, *, where: str) -> dict[str, Any]:
    """``document[key]``: what a measurement cost, a free-form object whose counts (``COST_COUNTS``) are whole
    numbers and ``seconds`` a number from 0 (the page formats them); {} when missing."""
    cost = read_plain(document, key, where=where, default={})
    for name in COST_COUNTS:
        read_int(cost, name, low=0, high=MAX_COUNT if name != "seed" else MAX_SEED, where=f"{where}{key}.",
                 default=None)
    read_float(cost, "seconds", low=0.0, where=f"{where}{key}.", default=None)
    return cost

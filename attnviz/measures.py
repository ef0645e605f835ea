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
from attnviz.jsonvalues import finite, read_array, read_field, rounded


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
    def from_json(cls, method: str, document: dict[str, Any]) -> Faithfulness:
        where = f"faithfulness.{method}: "
        fractions = read_field(document, "fractions", list, where=where)
        spread = read_field(document, "aopc_std", dict, where=where, default=None)
        try:
            return cls(method=method, fractions=tuple(float(f) for f in fractions),
                       comprehensiveness=read_array(document, "comprehensiveness", where=where),
                       sufficiency=read_array(document, "sufficiency", where=where),
                       deletion=read_array(document, "deletion", where=where),
                       aopc_spread=None if spread is None else {k: float(v) for k, v in spread.items()},
                       curve_std=read_array(document, "deletion_curve_std", optional=True, where=where))
        except (TypeError, ValueError) as exc:
            raise DocumentError(f"{where}{exc}") from None


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
    def from_json(cls, document: dict[str, Any]) -> HeadFaithfulness:
        where = "head_faithfulness: "
        try:
            return cls(fractions=tuple(float(f) for f in read_field(document, "fractions", list, where=where)),
                       comprehensiveness=read_array(document, "aopc_comprehensiveness", where=where),
                       sufficiency=read_array(document, "aopc_sufficiency", where=where),
                       random={str(k): float(v) for k, v in read_field(document, "random", dict, where=where).items()},
                       cost=read_field(document, "cost", dict, where=where, default={}))
        except (TypeError, ValueError) as exc:
            raise DocumentError(f"{where}{exc}") from None


@dataclass
class Counterfactual:
    """Counterfactual attention (``attnviz.explain.counterfactual``): per variant, Δ log-prob [T] (variant −
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
    def from_json(cls, document: dict[str, Any]) -> Counterfactual:
        where = "counterfactual: "
        variants = read_field(document, "variants", dict, where=where)
        return cls(k=read_field(document, "k", int, where=where), seed=read_field(document, "seed", int, where=where),
                   original=read_array(document, "original_logprobs", where=where),
                   original_greedy=read_array(document, "original_greedy", dtype=bool, where=where),
                   change={v: read_array(variants[v], "logprob_change", where=where + v + ".") for v in variants},
                   same_greedy={v: read_array(variants[v], "same_greedy", dtype=bool, where=where + v + ".")
                                for v in variants},
                   seconds=float(read_field(document, "seconds", (int, float), where=where, default=0.0)),
                   forward_passes=read_field(document, "forward_passes", int, where=where, default=1))


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
    def from_json(cls, method: str, document: dict[str, Any]) -> Stability:
        where = f"stability.{method}: "
        seeds = read_field(document, "seeds", list, where=where)
        agreement = read_field(document, "with_attention", dict, where=where, default=None)
        try:
            return cls(method=method, seeds=tuple(int(s) for s in seeds), mean=read_array(document, "mean", where=where),
                       std=read_array(document, "std", where=where), rank_tau=read_array(document, "rank_tau", where=where),
                       with_attention=None if agreement is None else {m: read_array(agreement, m, where=where)
                                                                      for m in agreement})
        except (TypeError, ValueError) as exc:
            raise DocumentError(f"{where}{exc}") from None

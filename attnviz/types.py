"""Result types that flow through attnviz: numpy arrays and plain values, never torch tensors.

``Generation`` (one summary and what the model did), ``Attribution`` (one method's scores for it) and
``Faithfulness`` (one method's removal figures). Each has ``to_json`` and ``from_json``; floats keep 6
decimal places or 7 significant digits (``rounded``), NaN and infinities are written as null and read back as NaN.
Shapes: T summary tokens, S source tokens, H attention heads, K removal fractions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from attnviz.errors import DocumentError

DECIMALS = 6                 # every float keeps at least 6 decimal places …
SIGNIFICANT = 7              # … and at least 7 significant digits (small scores, e.g. attention 1e-5, stay exact)


def rounded(values: Any) -> Any:
    """An array as nested lists of floats rounded to ``DECIMALS`` places or ``SIGNIFICANT`` digits, whichever
    keeps more; NaN and ±inf → None (strict JSON)."""
    array = np.asarray(values, dtype=np.float64)
    flat = [float(f"{v:.{max(DECIMALS, SIGNIFICANT - 1 - math.floor(math.log10(abs(v))))}f}") if v and math.isfinite(v)
            else (0.0 if v == 0 else None) for v in array.ravel().tolist()]
    return np.array(flat, dtype=object).reshape(array.shape).tolist() if array.ndim else flat[0]


def finite(value: Any) -> Any:
    """NaN/inf → None throughout lists and dicts (strict JSON); numpy → plain Python."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [finite(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def read_array(document: dict[str, Any], key: str, *, dtype: Any = np.float64, optional: bool = False,
               where: str = "") -> np.ndarray | None:
    """``document[key]`` as an array (null → NaN for floats); DocumentError naming the key when it is
    missing or not a rectangular array of numbers."""
    value = document.get(key) if isinstance(document, dict) else None
    if value is None:
        if optional:
            return None
        raise DocumentError(f"{where}{key} is missing")
    try:
        if np.dtype(dtype).kind == "f":
            array = np.array(value, dtype=object)
            array = np.where(array == None, np.nan, array).astype(dtype)  # noqa: E711 — element-wise null test
        else:
            array = np.array(value, dtype=dtype)
    except (TypeError, ValueError):
        raise DocumentError(f"{where}{key} is not an array of numbers") from None
    return array


def read_field(document: dict[str, Any], key: str, kind: type | tuple[type, ...], *, where: str = "",
               default: Any = ...) -> Any:
    """``document[key]`` checked to be of ``kind``; DocumentError naming the key otherwise."""
    if not isinstance(document, dict) or key not in document:
        if default is not ...:
            return default
        raise DocumentError(f"{where}{key} is missing")
    value = document[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind in (int, float, (int, float)):
        raise DocumentError(f"{where}{key} has the wrong type ({type(value).__name__})")
    return value


def _tokens(document: dict[str, Any], key: str, where: str) -> list[str]:
    tokens = read_field(document, key, list, where=where)
    if not all(isinstance(t, str) for t in tokens):
        raise DocumentError(f"{where}{key} must be a list of strings")
    return tokens


@dataclass
class Generation:
    """One generated summary with what the model did to produce it.

    T = summary length (end-of-summary token excluded), S = source length, H = attention heads.
    """

    source_tokens: list[str]          # [S] surface forms as the model read them
    summary_tokens: list[str]         # [T] display forms; copied OOV words as in the source
    summary: str                      # detokenised summary text
    source_ids: np.ndarray            # [S] int64 in-vocabulary ids (OOV → <unk>)
    source_ext_ids: np.ndarray        # [S] int64 extended ids (OOV → vocab + k)
    summary_ids: np.ndarray           # [T] int64 extended ids
    attention: np.ndarray             # [T, S] cross-attention; a row sums to 1 − the null slot's weight
    token_logprobs: np.ndarray        # [T] log P(summary token t | source, prefix)
    p_gen: np.ndarray | None          # [T] probability of generating (vs copying); None without pointer
    head_attention: np.ndarray | None = None  # [H, T, S] per head, multi-head models only
    layer_attention: np.ndarray | None = None  # [L, H, T, S] per layer and head (transformers); ``attention``
                                               # is then their mean
    source_words: list[int] | None = None     # [S] the word each source token (a subword piece) belongs to
    word_texts: list[str] | None = None       # [W] each of those words as written in the source
    source_oovs: list[str] = field(default_factory=list)  # lower-cased OOV words, extended-id order
    truncated_from: int = 0           # source token count before truncation
    score: float = 0.0                # the search's sequence score: length-normalised by the pointer-generator's
                                      # beam (DecodingSettings); a Hugging Face model's sum of token_logprobs
    settings: dict[str, Any] = field(default_factory=dict)  # decoding settings used

    def __post_init__(self) -> None:
        t, s = len(self.summary_tokens), len(self.source_tokens)
        if self.attention.shape != (t, s):
            raise ValueError(f"attention has shape {self.attention.shape}, expected ({t}, {s})")
        if self.token_logprobs.shape != (t,):
            raise ValueError(f"token_logprobs has shape {self.token_logprobs.shape}, expected ({t},)")
        if self.p_gen is not None and self.p_gen.shape != (t,):
            raise ValueError(f"p_gen has shape {self.p_gen.shape}, expected ({t},)")
        if self.head_attention is not None and self.head_attention.shape[1:] != (t, s):
            raise ValueError(f"head_attention has shape {self.head_attention.shape}, expected (H, {t}, {s})")
        if self.layer_attention is not None and (self.layer_attention.ndim != 4 or self.layer_attention.shape[2:] != (t, s)):
            raise ValueError(f"layer_attention has shape {self.layer_attention.shape}, expected (L, H, {t}, {s})")
        if self.source_words is not None and (len(self.source_words) != s or any(
                not isinstance(w, int) or w < 0 for w in self.source_words) or self.source_words != sorted(self.source_words)):
            raise ValueError(f"source_words must give {s} non-decreasing word indices, one per source token")
        if self.word_texts is not None and (self.source_words is None or len(self.word_texts) != (
                self.source_words[-1] + 1 if self.source_words else 0) or not all(isinstance(w, str) for w in self.word_texts)):
            raise ValueError("word_texts must give the text of each word of source_words")
        for name in ("source_ids", "source_ext_ids"):
            if getattr(self, name).shape != (s,):
                raise ValueError(f"{name} has shape {getattr(self, name).shape}, expected ({s},)")
        if self.summary_ids.shape != (t,):
            raise ValueError(f"summary_ids has shape {self.summary_ids.shape}, expected ({t},)")

    @property
    def truncated(self) -> bool:
        return self.truncated_from > len(self.source_tokens)

    @property
    def attention_layers(self) -> np.ndarray:
        """Cross-attention [L, H, T, S]: per layer and head where the model has them (one layer, one head
        otherwise)."""
        if self.layer_attention is not None:
            return self.layer_attention
        if self.head_attention is not None:
            return self.head_attention[None]
        return self.attention[None, None]

    def to_json(self) -> dict[str, Any]:
        """Plain lists (``summarize --json`` prints this; an explanation document holds it)."""
        out: dict[str, Any] = {
            "summary": self.summary,
            "summary_tokens": self.summary_tokens,
            "source_tokens": self.source_tokens,
            "attention": rounded(self.attention),
            "token_logprobs": rounded(self.token_logprobs),
            "p_gen": None if self.p_gen is None else rounded(self.p_gen),
            "truncated": self.truncated,
            "source_token_count": self.truncated_from,
            "settings": self.settings,
            "source_ids": self.source_ids.tolist(),
            "source_ext_ids": self.source_ext_ids.tolist(),
            "summary_ids": self.summary_ids.tolist(),
            "source_oovs": self.source_oovs,
            "score": round(float(self.score), 6),
        }
        if self.head_attention is not None:
            out["head_attention"] = rounded(self.head_attention)
        if self.layer_attention is not None:
            out["layer_attention"] = rounded(self.layer_attention)
        if self.source_words is not None:
            out["source_words"] = list(self.source_words)
        if self.word_texts is not None:
            out["word_texts"] = list(self.word_texts)
        return out

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Generation:
        """The inverse of ``to_json``; DocumentError for a document that is not one."""
        where = "generation: "
        try:
            return cls(
                source_tokens=_tokens(document, "source_tokens", where),
                summary_tokens=_tokens(document, "summary_tokens", where),
                summary=read_field(document, "summary", str, where=where),
                source_ids=read_array(document, "source_ids", dtype=np.int64, where=where),
                source_ext_ids=read_array(document, "source_ext_ids", dtype=np.int64, where=where),
                summary_ids=read_array(document, "summary_ids", dtype=np.int64, where=where),
                attention=read_array(document, "attention", where=where),
                token_logprobs=read_array(document, "token_logprobs", where=where),
                p_gen=read_array(document, "p_gen", optional=True, where=where),
                head_attention=read_array(document, "head_attention", optional=True, where=where),
                layer_attention=read_array(document, "layer_attention", optional=True, where=where),
                source_words=read_field(document, "source_words", list, where=where, default=None),
                word_texts=read_field(document, "word_texts", list, where=where, default=None),
                source_oovs=read_field(document, "source_oovs", list, where=where, default=[]),
                truncated_from=read_field(document, "source_token_count", int, where=where),
                score=float(read_field(document, "score", (int, float), where=where, default=0.0)),
                settings=read_field(document, "settings", dict, where=where, default={}),
            )
        except ValueError as exc:
            raise DocumentError(f"{where}{exc}") from None


@dataclass
class Attribution:
    """One method's explanation of a whole summary: row t of ``scores`` [T, S] explains summary token t."""

    method: str
    source_tokens: list[str]
    summary_tokens: list[str]
    scores: np.ndarray                       # [T, S]
    seconds: float
    forward_passes: int                      # source sequences run through the model
    backward_passes: int
    params: dict[str, Any] = field(default_factory=dict)
    checks: dict[str, Any] = field(default_factory=dict)
    head_scores: np.ndarray | None = None    # [H, T, S], attention of multi-head models

    def __post_init__(self) -> None:
        expected = (len(self.summary_tokens), len(self.source_tokens))
        if self.scores.shape != expected:
            raise ValueError(f"{self.method}: scores have shape {self.scores.shape}, expected {expected}")
        if self.head_scores is not None and self.head_scores.shape[1:] != expected:
            raise ValueError(f"{self.method}: head_scores have shape {self.head_scores.shape}, expected (H, *{expected})")

    def to_json(self) -> dict[str, Any]:
        out = {"scores": rounded(self.scores), "seconds": round(self.seconds, 4),
               "forward_passes": self.forward_passes, "backward_passes": self.backward_passes,
               "params": finite(self.params), "checks": finite(self.checks)}
        if self.head_scores is not None:
            out["head_scores"] = rounded(self.head_scores)
        return out

    @classmethod
    def from_json(cls, method: str, document: dict[str, Any], generation: Generation) -> Attribution:
        """The inverse of ``to_json`` for ``method``'s entry, on ``generation``'s tokens."""
        where = f"methods.{method}: "
        try:
            return cls(method=method, source_tokens=list(generation.source_tokens),
                       summary_tokens=list(generation.summary_tokens),
                       scores=read_array(document, "scores", where=where),
                       seconds=float(read_field(document, "seconds", (int, float), where=where, default=0.0)),
                       forward_passes=read_field(document, "forward_passes", int, where=where, default=0),
                       backward_passes=read_field(document, "backward_passes", int, where=where, default=0),
                       params=read_field(document, "params", dict, where=where, default={}),
                       checks=read_field(document, "checks", dict, where=where, default={}),
                       head_scores=read_array(document, "head_scores", optional=True, where=where))
        except ValueError as exc:
            raise DocumentError(str(exc)) from None


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

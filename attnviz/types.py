"""The two result types that flow through attnviz: numpy arrays and plain values, never torch tensors.

``Generation`` (one summary and what the model did) and ``Attribution`` (one method's scores for it); what is
measured on them is in ``attnviz.measures``. Each has ``to_json`` and ``from_json`` (``attnviz.jsonvalues``).
Shapes: T summary tokens, S source tokens, L layers, H attention heads.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from attnviz.errors import DocumentError
from attnviz.jsonvalues import finite, read_array, read_field, rounded


def _tokens(document: dict[str, Any], key: str, where: str) -> list[str]:
    tokens = read_field(document, key, list, where=where)
    if not all(isinstance(t, str) for t in tokens):
        raise DocumentError(f"{where}{key} must be a list of strings")
    return tokens


def _as_layers(heads: np.ndarray | None) -> np.ndarray | None:
    """Per-head arrays of layout-2 documents [H, T, S] as one layer [1, H, T, S]; [L, H, T, S] as they are."""
    return heads[None] if heads is not None and heads.ndim == 3 else heads


def _layer_attention(document: dict[str, Any], where: str) -> np.ndarray | None:
    """``layer_attention`` [L, H, T, S], or a layout-2 document's ``head_attention`` [H, T, S] as one layer."""
    layers = read_array(document, "layer_attention", optional=True, where=where)
    return layers if layers is not None else _as_layers(read_array(document, "head_attention", optional=True,
                                                                   where=where))


@dataclass
class Generation:
    """One generated summary with what the model did to produce it.

    T = summary length (end-of-summary token excluded), S = source length, L = decoder layers with
    cross-attention, H = attention heads.
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
    layer_attention: np.ndarray | None = None  # [L, H, T, S] per layer and head, for models with more than one
                                               # (a multi-head pointer-generator: L = 1); None: ``attention`` alone
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
        return self.attention[None, None] if self.layer_attention is None else self.layer_attention

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
                layer_attention=_layer_attention(document, where),
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
    head_scores: np.ndarray | None = None    # [L, H, T, S]: attention's, per layer and head, for models with several

    def __post_init__(self) -> None:
        expected = (len(self.summary_tokens), len(self.source_tokens))
        if self.scores.shape != expected:
            raise ValueError(f"{self.method}: scores have shape {self.scores.shape}, expected {expected}")
        if self.head_scores is not None and (self.head_scores.ndim != 4 or self.head_scores.shape[2:] != expected):
            raise ValueError(f"{self.method}: head_scores have shape {self.head_scores.shape}, expected (L, H, *{expected})")

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
                       head_scores=_as_layers(read_array(document, "head_scores", optional=True, where=where)))
        except ValueError as exc:
            raise DocumentError(str(exc)) from None

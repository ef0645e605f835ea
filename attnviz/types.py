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
from attnviz.jsonvalues import (
    MAX_COUNT,
    MAX_NAME_CHARS,
    built_from_document,
    describe,
    finite,
    read_array,
    read_float,
    read_int,
    read_plain,
    read_text,
    read_texts,
    rounded,
)


def _as_layers(heads: np.ndarray | None) -> np.ndarray | None:
    """Per-head arrays of layout-2 documents [H, T, S] as one layer [1, H, T, S]; [L, H, T, S] as they are."""
    return heads[None] if heads is not None and heads.ndim == 3 else heads


def read_heads(document: dict[str, Any], key: str, rows: int, columns: int, *, where: str,
               of: str = "layers × heads × summary tokens × source units") -> np.ndarray | None:
    """``document[key]``: per-head figures [L, H, T, S] (layout 3) or [H, T, S] (layout 2, one layer) with
    ``rows`` T and ``columns`` S, as [L, H, T, S]; None when absent."""
    value = document.get(key)
    depth = 0
    while isinstance(value, list) and value and depth < 5:
        value, depth = value[0], depth + 1
    shape = ("H", rows, columns) if depth == 3 else ("L", "H", rows, columns)
    return _as_layers(read_array(document, key, shape=shape, where=where, of=of, optional=True))


def _source_words(document: dict[str, Any], s: int, where: str) -> list[int] | None:
    """``source_words`` [S]: each source token's word, from 0, each the same as the one before or the next."""
    words = read_array(document, "source_words", shape=(s,), kind="whole", high=s, where=where,
                       of="the word of each source token", optional=True)
    if words is None:
        return None
    steps = np.diff(words)
    if words[0] != 0 or ((steps != 0) & (steps != 1)).any():
        raise DocumentError(f"{where}source_words must count the words from 0, each token in the same word as "
                            "the one before or the next")
    return words.tolist()


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
        """The inverse of ``to_json``, every field checked (types, ranges, shapes against T and S);
        DocumentError naming the first field that is wrong."""
        where = "generation."
        source_tokens = read_texts(document, "source_tokens", where=where)
        summary_tokens = read_texts(document, "summary_tokens", where=where)
        t, s = len(summary_tokens), len(source_tokens)
        if not t or not s:
            raise DocumentError(f"{where}{'summary_tokens' if not t else 'source_tokens'} must hold at least one token")
        source, summary = "one per source token", "one per summary token"
        words = _source_words(document, s, where)
        word_texts = None if words is None else read_texts(document, "word_texts", where=where, count=words[-1] + 1,
                                                            of="one per word of source_words", default=None)
        layers = read_heads(document, "layer_attention", t, s, where=where,
                            of="layers × heads × summary tokens × source tokens")
        if layers is None:                                        # layout 2: one layer of heads
            layers = read_heads(document, "head_attention", t, s, where=where, of="heads × summary tokens × source tokens")
        settings = read_plain(document, "settings", where=where, default={})
        read_text(settings, "device", where=where + "settings.", max_chars=MAX_NAME_CHARS, default=None)
        with built_from_document(where):
            return cls(
                source_tokens=source_tokens, summary_tokens=summary_tokens,
                summary=read_text(document, "summary", where=where),
                source_ids=read_array(document, "source_ids", shape=(s,), kind="whole", where=where, of=source),
                source_ext_ids=read_array(document, "source_ext_ids", shape=(s,), kind="whole", where=where, of=source),
                summary_ids=read_array(document, "summary_ids", shape=(t,), kind="whole", where=where, of=summary),
                attention=read_array(document, "attention", shape=(t, s), where=where,
                                     of="summary tokens × source tokens"),
                token_logprobs=read_array(document, "token_logprobs", shape=(t,), where=where, of=summary),
                p_gen=read_array(document, "p_gen", shape=(t,), where=where, of=summary, optional=True),
                layer_attention=layers, source_words=words, word_texts=word_texts,
                source_oovs=read_texts(document, "source_oovs", where=where, default=[]),
                truncated_from=read_int(document, "source_token_count", low=0, high=MAX_COUNT, where=where),
                score=read_float(document, "score", where=where, default=0.0),
                settings=settings,
            )


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
        """The inverse of ``to_json`` for ``method``'s entry, on ``generation``'s tokens (its source tokens are
        the units the scores explain: tokens, or features); every field checked."""
        where = f"methods.{method}."
        if not isinstance(document, dict):
            raise DocumentError(f"methods.{method} must be an object ({{…}}), not {describe(document)}")
        t, u = len(generation.summary_tokens), len(generation.source_tokens)
        with built_from_document(""):
            return cls(method=method, source_tokens=list(generation.source_tokens),
                       summary_tokens=list(generation.summary_tokens),
                       scores=read_array(document, "scores", shape=(t, u), where=where,
                                         of="summary tokens × source units"),
                       seconds=read_float(document, "seconds", low=0.0, where=where, default=0.0),
                       forward_passes=read_int(document, "forward_passes", low=0, high=MAX_COUNT, where=where, default=0),
                       backward_passes=read_int(document, "backward_passes", low=0, high=MAX_COUNT, where=where,
                                                default=0),
                       params=read_plain(document, "params", where=where, default={}),
                       checks=read_plain(document, "checks", where=where, default={}),
                       head_scores=read_heads(document, "head_scores", t, u, where=where))

"""Sentences and spans as the features an explanation is about, instead of single source tokens.

``Features`` groups the S source tokens into G contiguous features (sentences, the user's spans, or the
tokens of one sentence to look into). A feature is present or absent as a whole: every perturbation
method then runs over G presences instead of S, one mask per feature through the same removal as
tokens (``attnviz.explain.grouped.FeatureScorer``). Tokens outside every feature stay present.

Sentences come from ``sentencex`` (Wikimedia's rule-based segmenter: maintained, no model to download,
many languages, character offsets; nltk's Punkt needs a data download and spaCy is large for one
function). The segmenter reads the source text as given (normalised as the tokenizer does), or, for an
explanation without its text, the tokens detokenised; each source word is found in that text in order
and belongs to the sentence it starts in, so sentences never cut a token or a word.
Shapes: S source tokens, G features, T summary tokens, H heads, L layers.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from attnviz.errors import DocumentError, InputError
from attnviz.jsonvalues import MAX_COUNT, MAX_NAME_CHARS, describe, read_array, read_int, read_text, read_texts
from attnviz.types import Attribution, Generation
from attnviz.words import detokenize, normalise_text

GRANULARITIES = ("tokens", "sentences", "spans")
FEATURE_KINDS = ("sentences", "spans", "tokens")  # what a document's features can be (tokens: of one sentence)
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Features:
    """G features over S source tokens: feature g is tokens ``bounds[g][0]`` … ``bounds[g][1] − 1``.
    ``kind``: "sentences", "spans" or "tokens" (one feature per token, the tokens of one sentence when
    ``bounds`` leave the rest out); ``labels`` [G]: each feature's text."""

    kind: str
    bounds: tuple[tuple[int, int], ...]
    labels: tuple[str, ...]
    source_len: int

    def __post_init__(self) -> None:
        if not self.bounds:
            raise InputError("there are no features: the source is empty")
        if len(self.labels) != len(self.bounds):
            raise ValueError(f"{len(self.labels)} labels for {len(self.bounds)} features")
        end = 0
        for start, stop in self.bounds:
            if not end <= start < stop <= self.source_len:
                raise InputError(f"feature [{start}, {stop}) is not an increasing, non-empty, non-overlapping "
                                 f"range of the {self.source_len} source tokens")
            end = stop

    @property
    def count(self) -> int:
        return len(self.bounds)

    def membership(self) -> np.ndarray:
        """[S, G]: 1 where token j belongs to feature g."""
        out = np.zeros((self.source_len, self.count))
        for g, (start, stop) in enumerate(self.bounds):
            out[start:stop, g] = 1.0
        return out

    def held(self) -> np.ndarray:
        """[S] bool: tokens in no feature (always present)."""
        return self.membership().sum(axis=1) == 0

    def aggregate(self, scores: np.ndarray) -> np.ndarray:
        """Token scores [..., S] → feature sums [..., G] (attention, saliency)."""
        return np.asarray(scores, dtype=np.float64) @ self.membership()

    def summed(self, attribution: Attribution, labels: Sequence[str] | None = None) -> Attribution:
        """A token-level attribution summed per feature ([T, S] → [T, G], per head too) on ``labels`` (default:
        each feature's text). The one way scores are summed over groups: the scorer, the document, the page."""
        return replace(attribution, source_tokens=list(self.labels if labels is None else labels),
                       scores=self.aggregate(attribution.scores),
                       head_scores=None if attribution.head_scores is None else self.aggregate(attribution.head_scores))

    def short_labels(self, words: int = 6) -> list[str]:
        """Labels for a plot's axis: tokens as they are; a sentence or span as "g: its first words …"."""
        if self.kind in ("tokens", "words"):
            return list(self.labels)
        return [f"{g}: " + (label if len(label.split()) <= words else " ".join(label.split()[:words]) + " …")
                for g, label in enumerate(self.labels)]

    def generation(self, generation: Generation, labels: Sequence[str] | None = None) -> Generation:
        """``generation`` with features for source units: ``labels`` (default: each feature's text) for tokens,
        attention summed per feature ([T, S] → [T, G], per head and layer too), each feature's first token's
        ids; no word grouping."""
        first = [start for start, _ in self.bounds]
        summed = (lambda a: None if a is None else self.aggregate(a))
        return replace(generation, source_tokens=list(self.labels if labels is None else labels),
                       source_ids=generation.source_ids[first],
                       source_ext_ids=generation.source_ext_ids[first], attention=self.aggregate(generation.attention),
                       layer_attention=summed(generation.layer_attention),
                       source_words=None, word_texts=None)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "bounds": [list(b) for b in self.bounds], "labels": list(self.labels),
                "source_len": self.source_len}

    @classmethod
    def from_json(cls, document: dict[str, Any], source_len: int | None = None) -> Features:
        """The inverse of ``to_json`` over a source of ``source_len`` tokens (None: as the document says); every
        field checked: as many labels as bounds, each bound an increasing range of the source."""
        where = "features."
        if not isinstance(document, dict):
            raise DocumentError(f"features must be an object ({{…}}) or null, not {describe(document)}")
        kind = read_text(document, "kind", where=where, max_chars=MAX_NAME_CHARS)
        if kind not in FEATURE_KINDS:
            raise DocumentError(f"{where}kind must be one of {', '.join(FEATURE_KINDS)}, not {kind[:40]!r}")
        length = read_int(document, "source_len", low=1, high=MAX_COUNT, where=where)
        if source_len is not None and length != source_len:
            raise DocumentError(f"{where}source_len is {length:,}, but the source has {source_len:,} tokens")
        bounds = read_array(document, "bounds", shape=("G", 2), kind="whole", high=length, where=where,
                            of="a [start, stop] token range per feature")
        labels = read_texts(document, "labels", where=where, count=len(bounds), of="one per feature in bounds")
        try:
            return cls(kind=kind, bounds=tuple((int(a), int(b)) for a, b in bounds), labels=tuple(labels),
                       source_len=length)
        except DocumentError:
            raise
        except (InputError, ValueError) as exc:
            raise DocumentError(f"{where}bounds: {exc}") from None


def source_units(generation: Generation) -> tuple[list[str], list[int]]:
    """The source's words as the reader sees them and the first token of each: the words of a subword
    model (``word_texts``), else the tokens themselves → (texts [W], first token [W])."""
    words = generation.source_words
    if words is None:
        return list(generation.source_tokens), list(range(len(generation.source_tokens)))
    first = np.unique(words, return_index=True)[1].tolist()
    texts = generation.word_texts or ["".join(generation.source_tokens[j] for j in range(len(words)) if words[j] == w)
                                      for w in range(len(first))]
    return list(texts), first


def _unit_starts(texts: Sequence[str], text: str) -> list[int]:
    """Where each unit begins in ``text`` (their detokenised join), searched left to right."""
    starts, pos = [], 0
    for unit in texts:
        found = text.find(unit.strip(), pos) if unit.strip() else -1
        start = pos if found < 0 else found
        starts.append(start)
        pos = start + (len(unit.strip()) if found >= 0 else 0)
    return starts


def _labelled(kind: str, generation: Generation, bounds: list[tuple[int, int]]) -> Features:
    texts, first = source_units(generation)
    unit_of = np.searchsorted(first, np.arange(len(generation.source_tokens)), side="right") - 1   # token → unit
    labels = tuple(detokenize([texts[u] for u in sorted(set(unit_of[start:stop].tolist()))]) for start, stop in bounds)
    return Features(kind, tuple(bounds), labels, len(generation.source_tokens))


def sentence_features(generation: Generation, *, text: str | None = None,
                      language: str = DEFAULT_LANGUAGE) -> Features:
    """The source's sentences as features: ``sentencex`` over ``text`` (the source as given; None: the
    tokens detokenised), each word in the sentence it starts in."""
    from sentencex import get_sentence_boundaries

    texts, first = source_units(generation)
    if not texts:
        raise InputError("the source is empty: there are no sentences")
    text = detokenize(texts) if text is None else normalise_text(text)
    try:
        sentence_starts = [b["start_index"] for b in get_sentence_boundaries(language, text)]
    except Exception as exc:                                       # sentencex raises plain errors on odd input
        raise InputError(f"sentence splitting failed for language {language!r}: {exc}") from None
    unit_sentence = np.searchsorted(sentence_starts, _unit_starts(texts, text), side="right") - 1
    unit_starts = [u for u in range(len(texts)) if u == 0 or unit_sentence[u] != unit_sentence[u - 1]]
    starts = [first[u] for u in unit_starts]
    return _labelled("sentences", generation, list(zip(starts, starts[1:] + [len(generation.source_tokens)])))


def span_features(generation: Generation, starts: Sequence[int]) -> Features:
    """The user's spans as features: each span begins at one of ``starts`` (source token positions; 0 is
    added when missing) and runs to the next."""
    s = len(generation.source_tokens)
    if any(isinstance(i, bool) or not isinstance(i, (int, np.integer)) for i in starts):
        raise InputError("span starts must be whole token positions")
    bad = [int(i) for i in starts if not 0 <= i < s]
    if bad:
        raise InputError(f"span starts must lie in 0 … {s - 1} (the source has {s} tokens), not {bad[:5]}")
    ordered = sorted({0, *(int(i) for i in starts)})
    return _labelled("spans", generation, list(zip(ordered, ordered[1:] + [s])))


def token_features(generation: Generation, within: tuple[int, int] | None = None) -> Features:
    """One feature per source token, or per token of ``within`` = [start, stop) with the rest held present
    (looking into one sentence)."""
    start, stop = within or (0, len(generation.source_tokens))
    return Features("tokens", tuple((j, j + 1) for j in range(start, stop)),
                    tuple(generation.source_tokens[start:stop]), len(generation.source_tokens))


def parse_starts(text: str) -> list[int]:
    """ "0, 12, 40" → [0, 12, 40]; InputError naming what is not a whole number."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    bad = [p for p in parts if not p.isdigit()]
    if bad or not parts:
        raise InputError(f"give span starts as token positions separated by commas (e.g. 0, 12, 40), not {text!r}")
    return [int(p) for p in parts]


def check_granularity(granularity: str, starts: Sequence[int] | None = None) -> None:
    """InputError for an unknown granularity, or spans without start positions (before any model runs)."""
    if granularity not in GRANULARITIES:
        raise InputError(f"granularity must be one of {', '.join(GRANULARITIES)}, not {granularity!r}")
    if granularity == "spans" and not starts:
        raise InputError("spans need their start positions (e.g. 0, 12, 40)")


def make_features(generation: Generation, granularity: str, *, text: str | None = None,
                  starts: Sequence[int] | None = None, language: str = DEFAULT_LANGUAGE,
                  inside: int | None = None) -> Features | None:
    """The features of ``granularity`` ("tokens" → None: the source tokens themselves); ``text``: the
    source as given, for sentence splitting; ``inside``: the tokens of that sentence or span instead, the
    rest of the source held present (ignored when out of range)."""
    check_granularity(granularity, starts)
    if granularity == "sentences":
        features = sentence_features(generation, text=text, language=language)
    elif granularity == "spans":
        features = span_features(generation, starts or [])
    else:
        return None
    if inside is not None and 0 <= inside < features.count:
        return token_features(generation, within=features.bounds[inside])
    return features

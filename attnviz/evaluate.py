"""Scoring summaries: ROUGE F1, the LEAD baseline, paired bootstrap intervals, headline checks.

No model code here: every function takes plain strings or score arrays.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from rouge_score import rouge_scorer

ROUGE_TYPES: tuple[str, ...] = ("rouge1", "rouge2", "rougeL")


def lead_words(text: str, n: int = 10) -> str:
    """The first `n` whitespace-separated words of `text` (the LEAD-n baseline)."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return " ".join(text.split()[:n])


@lru_cache(maxsize=1)
def _scorer() -> rouge_scorer.RougeScorer:
    """One shared scorer (ROUGE-1/2/L, Porter stemming, rouge-score's default tokenizer)."""
    return rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)


def _check_lengths(predictions: Sequence[str], references: Sequence[str]) -> None:
    """ValueError unless both lists are non-empty and equally long."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions but {len(references)} references")
    if not predictions:
        raise ValueError("no predictions to score")


def rouge_per_pair(predictions: Sequence[str], references: Sequence[str]) -> np.ndarray:
    """ROUGE-1/2/L F1 x 100 for each pair: float64 array [N, 3] in ROUGE_TYPES order."""
    _check_lengths(predictions, references)
    scorer = _scorer()
    out = np.empty((len(predictions), len(ROUGE_TYPES)), dtype=np.float64)
    for i, (pred, ref) in enumerate(zip(predictions, references)):
        scores = scorer.score(ref, pred)          # rouge-score takes (target, prediction)
        out[i] = [scores[t].fmeasure * 100.0 for t in ROUGE_TYPES]
    return out


def rouge(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Mean ROUGE-1/2/L F1 x 100 over the pairs: {"rouge1", "rouge2", "rougeL"}."""
    means = rouge_per_pair(predictions, references).mean(axis=0)
    return {t: float(m) for t, m in zip(ROUGE_TYPES, means)}


def paired_bootstrap(a: np.ndarray, b: np.ndarray, *, samples: int = 1000, seed: int = 0
                     ) -> tuple[float, float, float]:
    """Mean of a - b over pairs and its 95% percentile interval from resampling the pairs.

    `a` and `b` are per-pair scores of two systems on the same pairs (1-D, same length).
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"need two 1-D arrays of equal length, got shapes {a.shape} and {b.shape}")
    if a.size == 0:
        raise ValueError("no pairs to compare")
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    diff = a - b
    rng = np.random.default_rng(seed)
    means = np.empty(samples, dtype=np.float64)
    for start in range(0, samples, 256):            # chunks bound memory for large N
        stop = min(samples, start + 256)
        idx = rng.integers(0, diff.size, size=(stop - start, diff.size))
        means[start:stop] = diff[idx].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(diff.mean()), float(low), float(high)


def has_stutter(summary: str, run: int = 3) -> bool:
    """True if some token (case-insensitive) occurs `run` times in a row."""
    tokens = summary.lower().split()
    streak = 1
    for prev, tok in zip(tokens, tokens[1:]):
        streak = streak + 1 if tok == prev else 1
        if streak >= run:
            return True
    return False


def headline_stats(summaries: Sequence[str]) -> dict[str, float]:
    """Shape checks for generated headlines.

    Returns n, frac_stutter (a token 3x in a row), frac_4_to_20_words and mean_words.
    """
    if not summaries:
        raise ValueError("no summaries given")
    lengths = np.array([len(s.split()) for s in summaries], dtype=np.float64)
    return {
        "n": float(len(summaries)),
        "frac_stutter": float(np.mean([has_stutter(s) for s in summaries])),
        "frac_4_to_20_words": float(np.mean((lengths >= 4) & (lengths <= 20))),
        "mean_words": float(lengths.mean()),
    }

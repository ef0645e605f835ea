"""Scoring summaries: ROUGE F1, the LEAD baseline, paired bootstrap intervals, headline checks.

Every scoring function takes plain strings or score arrays; ``evaluate_pairs`` runs a model over
pairs and scores it against LEAD-10 (and optionally another model's saved predictions).
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from rouge_score import rouge_scorer

from attnviz.bootstrap import bootstrap_mean
from attnviz.errors import InputError
from attnviz.textfile import MAX_LIST_BYTES, read_user_file
from attnviz.userinput import shown_name

if TYPE_CHECKING:
    from attnviz.models.base import DecodingSettings, SummaryModel

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
    return bootstrap_mean(a - b, samples=samples, seed=seed)


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


def read_predictions(path: Path | str, count: int) -> list[str]:
    """The first ``count`` predictions of a JSONL file of ``{"prediction": ...}`` lines (as scripts/predict.py
    and ``evaluate --save-predictions`` write); InputError if unreadable, too short or not text."""
    name = shown_name(path)
    rows = []
    try:
        for number, line in enumerate(read_user_file(path, limit=MAX_LIST_BYTES).decode("utf-8-sig").splitlines(), 1):
            if line.strip():
                row = json.loads(line)
                if not isinstance(row, dict) or not isinstance(row.get("prediction"), str):
                    raise InputError(f"{name}:{number}: expected {{\"prediction\": \"…\"}} with text")
                rows.append(row["prediction"])
    except UnicodeDecodeError:
        raise InputError(f"{name} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}:{number}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise InputError(f"{name}:{number}: nests too deeply to be a prediction") from None
    if len(rows) < count:
        raise InputError(f"{name} has {len(rows)} predictions for {count} pairs")
    return rows[:count]


def _rouge_means(scores: np.ndarray) -> dict[str, float]:
    """Per-pair ROUGE [N, 3] -> {"rouge1", "rouge2", "rougeL"} means rounded to 2 decimals."""
    return dict(zip(ROUGE_TYPES, scores.mean(axis=0).round(2).tolist()))


def _rounded_gain(gain: tuple[float, float, float]) -> dict[str, Any]:
    """(mean, low, high) of a paired bootstrap -> {"mean", "ci95"} rounded to 2 decimals."""
    mean, low, high = gain
    return {"mean": round(mean, 2), "ci95": [round(low, 2), round(high, 2)]}


def evaluate_pairs(summarizer: SummaryModel, pairs: Sequence[dict], settings: DecodingSettings, *,
                   compare_predictions: str | None = None, show: int = 0,
                   progress: Callable[[int, int], None] | None = None) -> tuple[dict[str, Any], list[str]]:
    """Summarize every pair's text and score the summaries against its summary, next to LEAD-10.

    Returns the result (as ``evaluate --json`` prints it) and the predictions. ``compare_predictions``
    names a file of another model's predictions of the same pairs (read before any summarizing): adds
    the paired-bootstrap RL gain over it. ``show`` adds that many reference/model examples.
    ``progress(done, total)`` is called after each summary.
    """
    other = None if compare_predictions is None else read_predictions(compare_predictions, len(pairs))
    references = [p["summary"] for p in pairs]
    start = time.perf_counter()
    predictions = []
    for i, pair in enumerate(pairs, 1):
        predictions.append(summarizer.summarize(pair["text"], settings).summary)
        if progress is not None:
            progress(i, len(pairs))
    seconds = time.perf_counter() - start
    model_scores = rouge_per_pair(predictions, references)
    lead_scores = rouge_per_pair([lead_words(p["text"], 10) for p in pairs], references)
    result: dict[str, Any] = {
        "pairs": len(pairs), "model": summarizer.name, "decoding": settings.to_dict(),
        "model_rouge": _rouge_means(model_scores),
        "lead10_rouge": _rouge_means(lead_scores),
        "rougeL_gain_over_lead10": _rounded_gain(paired_bootstrap(model_scores[:, 2], lead_scores[:, 2])),
        "headlines": headline_stats(predictions),
        "seconds_per_summary": round(seconds / len(pairs), 4),
    }
    sources = [p.get("origin", "").split(":")[0] or "unknown" for p in pairs]
    if len(set(sources)) > 1:
        result["by_source"] = {}
        for source in sorted(set(sources)):
            rows = np.array([s == source for s in sources])
            result["by_source"][source] = {
                "pairs": int(rows.sum()), "model_rouge": _rouge_means(model_scores[rows]),
                "lead10_rouge": _rouge_means(lead_scores[rows]),
                "rougeL_gain_over_lead10": _rounded_gain(paired_bootstrap(model_scores[rows, 2], lead_scores[rows, 2]))}
    if other is not None:
        gain = paired_bootstrap(model_scores[:, 2], rouge_per_pair(other, references)[:, 2])
        result["rougeL_gain_over_compared"] = {"file": compare_predictions, **_rounded_gain(gain)}
    if show:
        result["examples"] = [{"reference": r, "model": p} for r, p in list(zip(references, predictions))[:show]]
    return result, predictions

"""What the benchmarks share: the explanation benchmarks' input, a clock, a median, and report equality."""
from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from typing import Any

from attnviz.examples import article
from attnviz.models.base import DecodingSettings
from attnviz.models.pointer.summarizer import PointerSummarizer
from attnviz.types import Generation

SUMMARY_TOKENS = 16


def setup(model: str | None, tokens: int, summary_tokens: int = SUMMARY_TOKENS,
          device: str = "cpu") -> tuple[PointerSummarizer, Generation, str]:
    """The shipped (or given) model on ``device``, its source limit set to ``tokens``, and the beam-4 summary,
    forced to ``summary_tokens`` tokens, of a news article of at least ``tokens`` tokens cut to ``tokens``;
    → (summarizer, generation, where the article came from)."""
    summarizer = PointerSummarizer.from_checkpoint(model, device=device, max_source_tokens=tokens)
    text, origin = article(tokens)
    settings = DecodingSettings(beam_size=4, min_len=summary_tokens, max_len=summary_tokens)
    return summarizer, summarizer.summarize(text, settings), origin


def clock(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(wall seconds, result) of one call."""
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def median(values: list[float]) -> float:
    """The median, rounded to 0.1 ms."""
    return round(statistics.median(values), 4)


def same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two corpus reports give the same per-document figures (within 1e-6; NaN, an undefined figure,
    equals NaN), document for document."""
    def numbers(report: dict[str, Any]) -> list[float | None]:
        return [v for d in report["documents"] for group in ("pairs", "faithfulness")
                for figures in d.get(group, {}).values() for v in figures.values()]
    x, y = numbers(a), numbers(b)
    return len(a["documents"]) == len(b["documents"]) and len(x) == len(y) and all(
        (p is None and q is None) or (p is not None and q is not None and (abs(p - q) <= 1e-6
                                                                          or (math.isnan(p) and math.isnan(q))))
        for p, q in zip(x, y))

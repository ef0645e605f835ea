"""What a method will cost before it runs: forward and backward passes (from its spec), and expected seconds.

Passes are exact for attention, occlusion, Input×Gradient and saliency; upper bounds for the sampling
methods (LIME and KernelSHAP run each distinct mask once; partition_shap stops at ``max_evals``); and a
lower bound for Integrated Gradients (rows that miss its completeness tolerance are refined).
Seconds come from one timed batch of forward passes and one of backward passes on the same model and input.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

import torch

from attnviz.errors import InputError
from attnviz.explain import METHODS
from attnviz.models.scorer import Scorer

PYTHON_OVERHEAD = 1.2         # captum's / shap's own per-sample work on top of the model
MAX_REQUEST_SECONDS = 900.0   # one request's expected time at most (CLI --max-seconds, the page's Explain)


@dataclass
class Cost:
    method: str
    forward_passes: int
    backward_passes: int
    seconds: float
    bound: str            # "exact", "at most" or "at least"


def passes(method: str, params: dict[str, Any], source_len: int, summary_len: int) -> tuple[int, int, str]:
    """(forward passes, backward passes, "exact" | "at most" | "at least") of ``method`` with ``params``."""
    return METHODS[method].passes(source_len, summary_len, params)


def seconds_per_pass(scorer: Scorer, *, sources: int = 16, repeats: int = 3) -> tuple[float, float]:
    """Wall seconds of one forward pass (one perturbed source) and of one backward pass (one summary row at
    one source): the median of ``repeats`` timed batches of each, after a warm-up (one batch alone varies by
    ±25% on a busy 2-core machine)."""
    n = max(1, min(sources, scorer.batch_size))
    keep = torch.rand(n, scorer.source_len, generator=torch.Generator().manual_seed(0)) > 0.3
    scorer.score_keep(keep[:1])
    forward, backward = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        scorer.score_keep(keep)
        forward.append((time.perf_counter() - start) / n)
        points = keep.float().to(scorer.device).requires_grad_(True)
        out = scorer.score_presence(points)
        start = time.perf_counter()
        scorer.gradients(out[:, 0], points)
        backward.append((time.perf_counter() - start) / n)
    return statistics.median(forward), statistics.median(backward)


def estimate(methods: list[str], params: dict[str, dict[str, Any]], source_len: int, summary_len: int,
             per_forward_s: float, per_backward_s: float) -> list[Cost]:
    """The cost of each method given the seconds of one forward and of one backward pass."""
    out = []
    for name in methods:
        forward, backward, bound = passes(name, params.get(name, {}), source_len, summary_len)
        overhead = PYTHON_OVERHEAD if METHODS[name].samples else 1.0
        seconds = (forward * per_forward_s + backward * per_backward_s) * overhead
        out.append(Cost(name, forward, backward, seconds, bound))
    return out


def check_budget(costs: list[Cost], limit: float | None = None, *, extra_seconds: float = 0.0) -> float:
    """The estimated seconds of ``costs`` plus ``extra_seconds`` (e.g. faithfulness); InputError with the
    estimate when they exceed ``limit`` (default ``MAX_REQUEST_SECONDS``)."""
    limit = MAX_REQUEST_SECONDS if limit is None else limit
    total = sum(c.seconds for c in costs) + extra_seconds
    if total > limit:
        worst = max(costs, key=lambda c: c.seconds, default=None)
        detail = f"; {worst.method} alone ≈ {worst.seconds:,.0f} s" if worst is not None else ""
        raise InputError(f"this would take about {total:,.0f} s here{detail}; the limit is {limit:,.4g} s: "
                         "lower the budgets or the source length")
    return total

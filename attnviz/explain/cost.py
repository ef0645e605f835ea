"""What a method will cost before it runs: forward and backward passes, and expected seconds.

Passes are exact for attention, occlusion and the gradient methods and upper bounds for the sampling
methods (LIME and KernelSHAP run each distinct mask once; partition_shap stops at ``max_evals``).
Seconds come from one timed batch of forward passes on the same model and input.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import torch

from attnviz.explain import method_parameters
from attnviz.explain.base import ForcedScorer

BACKWARD_PER_FORWARD = 1.15   # one backward (one row, one point) against one forward pass, measured on the shipped model
PYTHON_OVERHEAD = 1.2         # captum's / shap's own per-sample work on top of the model


@dataclass
class Cost:
    method: str
    forward_passes: int
    backward_passes: int
    seconds: float
    exact: bool           # False: the passes are an upper bound


def passes(method: str, params: dict[str, Any], source_len: int, summary_len: int) -> tuple[int, int, bool]:
    """(forward passes, backward passes, exact?) of ``method`` with ``params`` (defaults filled in)."""
    p = {**method_parameters(method), **params}
    t = summary_len
    table = {
        "attention": (0, 0, True),
        "integrated_gradients": (p.get("n_steps", 0) + 2, p.get("n_steps", 0) * t, True),
        "input_x_gradient": (1, t, True),
        "saliency": (1, t, True),
        "occlusion": (source_len + 1, 0, True),
        "lime": (p.get("n_samples", 0), 0, False),
        "kernel_shap": (p.get("n_samples", 0) + 2, 0, False),
        "partition_shap": (p.get("max_evals", 0) + 1, 0, False),
    }
    if method not in table:
        raise KeyError(method)
    return table[method]


@torch.no_grad()
def seconds_per_forward(scorer: ForcedScorer, *, sources: int = 16) -> float:
    """Wall seconds of one forward pass (one perturbed source), from one timed batch after a warm-up."""
    n = max(1, min(sources, scorer.batch_size))
    keep = torch.rand(n, scorer.source_len, generator=torch.Generator().manual_seed(0)) > 0.3
    scorer.score_keep(keep[:1])
    start = time.perf_counter()
    scorer.score_keep(keep)
    return (time.perf_counter() - start) / n


def estimate(methods: list[str], params: dict[str, dict[str, Any]], source_len: int, summary_len: int,
             per_forward_s: float) -> list[Cost]:
    """The cost of each method given the seconds of one forward pass."""
    out = []
    for name in methods:
        forward, backward, exact = passes(name, params.get(name, {}), source_len, summary_len)
        overhead = PYTHON_OVERHEAD if name in ("lime", "kernel_shap", "partition_shap") else 1.0
        seconds = (forward + BACKWARD_PER_FORWARD * backward) * per_forward_s * overhead
        out.append(Cost(name, forward, backward, seconds, exact))
    return out

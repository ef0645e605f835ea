"""The scorer seam: one generated summary, teacher-forced, scored under perturbed sources. Every explainer,
faithfulness and the cost estimate see a model only through ``Scorer``; ``ScorerBase`` is what every
family's scorer shares. Shapes: N perturbations, S source tokens, T summary tokens, E embedding size.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import numpy as np
import torch
from torch import Tensor

from attnviz.errors import InputError
from attnviz.types import Generation

DEFAULT_MEMORY_BUDGET_MB = 512


class Scorer(Protocol):
    """The model seam the explainers see: one generated summary, teacher-forced, scored under perturbed
    sources. A model family implements it once (``ScorerBase`` holds what the families share); the explainers,
    faithfulness and the cost estimate see the model through it alone.

    Counters: ``forward_passes`` (source sequences run), ``backward_passes`` (one summary row's gradient
    at one source), ``forward_seconds`` and ``backward_seconds`` (wall time inside those calls).
    ``on_pass``, when set, is called with the passes done so far before every forward batch and after every
    backward one: a caller's progress report, and its way to stop the work (by raising).
    """

    generation: Generation
    source_len: int
    summary_len: int
    batch_size: int
    forward_passes: int
    backward_passes: int
    forward_seconds: float
    backward_seconds: float
    on_pass: Callable[[int], None] | None

    @property
    def device(self) -> torch.device: ...

    def score_presence(self, presence: Tensor) -> Tensor:
        """presence [N, S] in [0, 1] → f [N, T], differentiable."""

    def score_keep(self, keep: Tensor | np.ndarray) -> Tensor:
        """keep [N, S] (nonzero = present) → f [N, T], no gradients, batched."""

    def score_masks(self, keep: np.ndarray) -> np.ndarray:
        """``score_keep`` as float64 numpy [N, T]."""

    def source_embeddings(self) -> Tensor:
        """The intact source's token embeddings [1, S, E] (no graph)."""

    def score_embedded(self, embedded: Tensor) -> Tensor:
        """embedded [N, S, E], every token present → f [N, T], differentiable."""

    def gradients(self, output: Tensor, inputs: Tensor, *, retain_graph: bool = False) -> Tensor:
        """∂ output.sum() / ∂ inputs, counted as inputs.shape[0] backward passes."""


class ScorerBase:
    """What every family's ``Scorer`` shares: the counters, timers and ``on_pass`` hook, ``gradients``, and
    the scoring calls built on the family's one model call ``_run(presence [N, S] | None, embedded
    [N, S, E] | None) → [N, T]``, with ``device``, ``source_len`` and ``batch_size``."""

    on_pass: Callable[[int], None] | None = None
    source_len: int
    batch_size: int

    def __init__(self, generation: Generation) -> None:
        if len(generation.summary_tokens) == 0:
            raise InputError("the summary is empty: there is nothing to explain")
        self.generation = generation
        self.forward_passes = self.backward_passes = 0
        self.forward_seconds = self.backward_seconds = 0.0

    def _starting_forward(self, n: int) -> None:
        if self.on_pass is not None:
            self.on_pass(self.forward_passes + self.backward_passes)
        self.forward_passes += n

    def gradients(self, output: Tensor, inputs: Tensor, *, retain_graph: bool = False) -> Tensor:
        """∂ output.sum() / ∂ inputs, counted as inputs.shape[0] backward passes."""
        start = time.perf_counter()
        (grad,) = torch.autograd.grad(output.sum(), inputs, retain_graph=retain_graph)
        self.backward_seconds += time.perf_counter() - start
        self.backward_passes += inputs.shape[0]
        if self.on_pass is not None:
            self.on_pass(self.forward_passes + self.backward_passes)
        return grad

    @property
    def device(self) -> torch.device:
        raise NotImplementedError

    def _run(self, presence: Tensor | None, embedded: Tensor | None = None) -> Tensor:
        raise NotImplementedError

    def score_presence(self, presence: Tensor) -> Tensor:
        """presence [N, S] in [0, 1] → f(presence) [N, T] (keeps the graph for gradients)."""
        return self._run(presence.to(self.device, torch.float32))

    def score_embedded(self, embedded: Tensor) -> Tensor:
        """embedded [N, S, E], every token present → [N, T] (keeps the graph for gradients)."""
        return self._run(None, embedded)

    @torch.no_grad()
    def score_keep(self, keep: Tensor | np.ndarray) -> Tensor:
        """keep [N, S] (nonzero = token present) → f(keep) [N, T], in batches of ``batch_size``."""
        keep = torch.as_tensor(keep, device=self.device) != 0
        if keep.ndim != 2 or keep.shape[1] != self.source_len:
            raise ValueError(f"keep must have shape [N, {self.source_len}], not {tuple(keep.shape)}")
        return torch.cat([self._run(keep[start:start + self.batch_size].float())
                          for start in range(0, keep.shape[0], self.batch_size)])

    def score_masks(self, keep: np.ndarray) -> np.ndarray:
        """``score_keep`` as float64 numpy [N, T]."""
        return self.score_keep(keep).double().cpu().numpy()

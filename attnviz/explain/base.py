"""What every explainer shares: the result type and the teacher-forced target function.

Every method explains the same function. Row t's target is f_t(g) = log P(summary token t | source,
summary prefix), the generated summary held fixed (teacher forcing), as a function of the presence
gates g ∈ [0, 1]^S of the source tokens (see ``attnviz.model.seq2seq``): an absent token (g = 0) is read
by the encoder as the model's mask embedding, gets no attention and cannot be copied. Perturbation
methods evaluate f_t on binary presence; Integrated Gradients integrates ∂f_t/∂g along g = α·1 from
"all absent" to "all present". So IG, KernelSHAP and Partition SHAP rows all sum to f_t(1) − f_t(0).
Shapes: N perturbations, S source tokens, T summary tokens, E embedding size.
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import torch
from torch import Tensor

from attnviz.errors import InputError
from attnviz.model import PointerGenerator
from attnviz.types import Attribution, Generation

DEFAULT_MEMORY_BUDGET_MB = 512


class Scorer(Protocol):
    """The model seam the explainers see: one generated summary, teacher-forced, scored under perturbed
    sources. A model family implements it once (``ForcedScorer`` for the pointer-generator); every
    explainer, faithfulness and the cost estimate use nothing else.

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

    def full(self) -> Tensor:
        """f(x): target log-probs of the intact source [T]."""
        return self.score_keep(torch.ones(1, self.source_len))[0]


class ForcedScorer(ScorerBase):
    """The pointer-generator's ``Scorer``: one Generation's summary under perturbed sources, counting passes.

    ``score_presence(presence [N, S] in [0, 1]) → [N, T]`` is the explained function (differentiable);
    ``score_keep(keep [N, S])`` is the same on binary presence without gradients, batched within a memory
    budget; ``score_embedded(embedded [N, S, E])`` replaces the token embeddings, every token present.
    """

    def __init__(self, model: PointerGenerator, generation: Generation, *,
                 memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB) -> None:
        super().__init__(generation)
        self.model = model.eval()
        device = model.device
        self.ids = torch.as_tensor(generation.source_ids, device=device).unsqueeze(0)       # (1, S)
        self.ext_ids = torch.as_tensor(generation.source_ext_ids, device=device).unsqueeze(0)
        self.targets = torch.as_tensor(generation.summary_ids, device=device).unsqueeze(0)  # (1, T)
        self.source_len, self.summary_len = self.ids.shape[1], self.targets.shape[1]
        self.batch_size = self._batch_size(memory_budget_mb)

    @property
    def device(self) -> torch.device:
        return self.ids.device

    def _batch_size(self, budget_mb: float) -> int:
        """How many sources fit one batch: activations kept per source ≈ S × (E + 10·Hd) floats for the
        encoder plus T × S × 4 for attention, coverage and copy scatter, ×3 for autograd."""
        cfg = self.model.config
        per_source = 4 * 3 * (self.source_len * (cfg.emb_dim + 10 * cfg.hidden_dim)
                              + self.summary_len * self.source_len * 4 + self.summary_len * cfg.vocab_size)
        return int(max(1, min(512, budget_mb * 2**20 // per_source)))

    def _run(self, presence: Tensor | None, embedded: Tensor | None = None) -> Tensor:
        """One model call on N sources: presence [N, S] or None (all present), embedded [N, S, E] or None."""
        n = (presence if presence is not None else embedded).shape[0]
        mask = torch.ones(n, self.source_len, dtype=torch.bool, device=self.ids.device)
        self._starting_forward(n)
        start = time.perf_counter()
        # cuDNN's LSTM has no backward pass in eval mode; a graph for gradients takes the native kernels.
        native_rnn = torch.is_grad_enabled() and self.ids.device.type == "cuda"
        try:
            with torch.backends.cudnn.flags(enabled=False) if native_rnn else contextlib.nullcontext():
                return self.model(self.ids.expand(n, -1), self.ext_ids.expand(n, -1), mask,
                                  self.targets.expand(n, -1), embedded=embedded, presence=presence).target_logprobs
        finally:
            self.forward_seconds += time.perf_counter() - start

    @torch.no_grad()
    def source_embeddings(self) -> Tensor:
        """The intact source's token embeddings [1, S, E] (what the encoder reads)."""
        return self.model.embed_source(self.ids)



class Stopwatch:
    """Seconds and pass counts spent by one method on a scorer."""

    def __init__(self, scorer: Scorer) -> None:
        self.scorer = scorer
        self.start = time.perf_counter()
        self.forward0, self.backward0 = scorer.forward_passes, scorer.backward_passes

    def finish(self, method: str, scores: np.ndarray, params: dict[str, Any],
               checks: dict[str, Any] | None = None, head_scores: np.ndarray | None = None) -> Attribution:
        generation = self.scorer.generation
        return Attribution(method=method, source_tokens=list(generation.source_tokens),
                           summary_tokens=list(generation.summary_tokens), scores=np.asarray(scores, dtype=np.float64),
                           seconds=time.perf_counter() - self.start,
                           forward_passes=self.scorer.forward_passes - self.forward0,
                           backward_passes=self.scorer.backward_passes - self.backward0,
                           params=params, checks=checks or {}, head_scores=head_scores)

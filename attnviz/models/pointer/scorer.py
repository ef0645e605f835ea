"""The pointer-generator's ``Scorer``: the explained function f_t(g) of ``attnviz.models.scorer`` computed by the
model of ``attnviz.models.pointer.seq2seq`` (an absent token is read as the mask embedding, gets no attention and
cannot be copied)."""
from __future__ import annotations

import contextlib
import time

import torch
from torch import Tensor

from attnviz.models.pointer.seq2seq import PointerGenerator
from attnviz.models.scorer import DEFAULT_MEMORY_BUDGET_MB, ScorerBase
from attnviz.types import Generation


class PointerScorer(ScorerBase):
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

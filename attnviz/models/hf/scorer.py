"""The explainers' ``Scorer`` for a Hugging Face encoder-decoder: one summary, teacher-forced, under
perturbed sources.

Removal means what it means for the pointer-generator (``attnviz.explain.base``): source token j has a
presence gate g_j ∈ [0, 1]. The encoder reads g_j·e(x_j) + (1 − g_j)·e(mask) at its position, and every
attention that reads the encoder's positions (encoder self-attention and decoder cross-attention, all layers)
gets the additive bias log g_j, so its weight on j is scaled by g_j before normalising: at g_j = 0 the token
is out of the model entirely (its identity cannot matter, which the tests check), at g_j = 1 nothing changes.
Special tokens (<s>, </s>, language codes) are not features: they stay present. Row t's target is
f_t(g) = log P(summary token t | source, summary prefix).
Shapes: N perturbed sources, S source tokens (features), S' with the special tokens, T summary tokens,
P decoder prefix (start token, forced first token), E embedding size.
"""
from __future__ import annotations

import time
from typing import Any

import torch
from torch import Tensor

from attnviz.models.scorer import DEFAULT_MEMORY_BUDGET_MB, ScorerBase
from attnviz.types import Generation

TINY = 1e-30                 # log(TINY) ≈ −69: the bias of a gate near 0 (exactly 0 gets the dtype's minimum)


class TransformersScorer(ScorerBase):
    """``Scorer`` of one Generation of a Hugging Face encoder-decoder (see the module docstring)."""

    def __init__(self, model: Any, generation: Generation, *, before: list[int], after: list[int],
                 prefix: list[int], mask_id: int, embed_scale: float,
                 memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB) -> None:
        super().__init__(generation)
        self.model = model.eval()
        device = next(model.parameters()).device
        features = torch.as_tensor(generation.source_ids, device=device)
        self.ids = torch.cat([torch.tensor(before, device=device, dtype=torch.long), features,
                              torch.tensor(after, device=device, dtype=torch.long)]).unsqueeze(0)    # (1, S')
        self.feature_positions = torch.arange(len(before), len(before) + len(features), device=device)
        self.targets = torch.as_tensor(generation.summary_ids, device=device).unsqueeze(0)         # (1, T)
        prefix_ids = torch.tensor([prefix], device=device, dtype=torch.long)
        self.decoder_inputs = torch.cat([prefix_ids, self.targets[:, :-1]], dim=1)                # (1, P + T − 1)
        self.first_row = len(prefix) - 1
        self.source_len, self.summary_len = len(features), self.targets.shape[1]
        self.mask_id, self.embed_scale = mask_id, embed_scale
        self.batch_size = self._batch_size(memory_budget_mb)

    @property
    def device(self) -> torch.device:
        return self.ids.device

    def _batch_size(self, budget_mb: float) -> int:
        """Sources per batch: activations kept per source ≈ encoder L·(16·S'·E + 3·H·S'²) + decoder
        L·(16·T'·E + 3·H·T'·(S' + T')) + 2·T'·V floats, ×3 for autograd."""
        c = self.model.config
        s, t = self.ids.shape[1], self.decoder_inputs.shape[1]
        layers = getattr(c, "encoder_layers", None) or getattr(c, "num_layers", 6)
        dec_layers = getattr(c, "decoder_layers", None) or getattr(c, "num_decoder_layers", None) or layers
        heads = getattr(c, "encoder_attention_heads", None) or getattr(c, "num_heads", 8)
        width = getattr(c, "d_model", 512)
        floats = (layers * (16 * s * width + 3 * heads * s * s)
                  + dec_layers * (16 * t * width + 3 * heads * t * (s + t)) + 2 * t * c.vocab_size)
        return int(max(1, min(512, budget_mb * 2**20 // (4 * 3 * floats))))

    def _embedded_ids(self) -> Tensor:
        """Token embeddings of the whole input as the encoder reads them [1, S', E]."""
        return self.model.get_encoder().embed_tokens(self.ids) * self.embed_scale

    def _run(self, gates: Tensor | None, embedded: Tensor | None = None) -> Tensor:
        """One model call on N sources: gates [N, S] in [0, 1] (None: all present) and/or the features'
        embeddings [N, S, E] (None: the tokens' own) → log P(summary token t) [N, T]."""
        n = (gates if gates is not None else embedded).shape[0]
        self._starting_forward(n)
        start = time.perf_counter()
        try:
            inputs = self._embedded_ids().expand(n, -1, -1)
            if embedded is not None:
                inputs = inputs.index_copy(1, self.feature_positions, embedded)
            bias = None
            if gates is not None:
                full = torch.ones(n, self.ids.shape[1], device=self.device, dtype=inputs.dtype)
                full = full.index_copy(1, self.feature_positions, gates.to(inputs.dtype))
                mask = self.model.get_encoder().embed_tokens(
                    torch.tensor([self.mask_id], device=self.device)) * self.embed_scale            # (1, E)
                inputs = full.unsqueeze(-1) * inputs + (1 - full).unsqueeze(-1) * mask
                bias = full.clamp_min(TINY).log().masked_fill(full == 0, torch.finfo(inputs.dtype).min)
                bias = bias[:, None, None, :]                                                       # (N, 1, 1, S')
            logits = self.model(inputs_embeds=inputs, attention_mask=bias,
                                decoder_input_ids=self.decoder_inputs.expand(n, -1)).logits
            rows = logits[:, self.first_row:self.first_row + self.summary_len].float().log_softmax(-1)
            return rows.gather(-1, self.targets.expand(n, -1).unsqueeze(-1)).squeeze(-1)           # (N, T)
        finally:
            self.forward_seconds += time.perf_counter() - start

    @torch.no_grad()
    def source_embeddings(self) -> Tensor:
        """The intact source's token embeddings [1, S, E] (as the encoder reads them)."""
        return self._embedded_ids()[:, self.feature_positions]

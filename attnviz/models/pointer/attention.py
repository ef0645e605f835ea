"""Cross-attention variants. Each maps a decoder state to a distribution over source positions.

Shapes: B batch, N memory positions (the S source tokens and, last, the model's null slot), Dq decoder
(query) size, Dm encoder output (memory) size, H heads.

Every position has a presence gate in [0, 1]: weight_i ∝ gate_i · exp(logit_i). A gate of 0 (an absent
source token, or padding) gives weight exactly 0; fractional gates let gradient methods move a token
continuously between absent and present. The null slot's gate is always 1, so a row is defined even when
every source token is absent; each row (null slot included) sums to 1.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor, nn

from attnviz.models.pointer.config import ModelConfig

# exp() of a gated-out logit above the largest present one is capped here: it cannot overflow, and its
# weight is gate · exp(·) = 0 anyway; only the gradient at gate 0 of such an unlikely position is capped.
_MAX_EXPONENT = 80.0


def gated_softmax(logits: Tensor, gate: Tensor) -> Tensor:
    """logits [..., N], gate [..., N] in [0, 1], at least one gate > 0 per row → weights [..., N]
    ∝ gate · exp(logits). Unlike softmax(logits + log gate) it is finite and differentiable at gate 0."""
    shift = logits.masked_fill(gate <= 0, float("-inf")).amax(dim=-1, keepdim=True).detach()
    scaled = gate * torch.exp((logits - shift).clamp_max(_MAX_EXPONENT))
    return scaled / scaled.sum(dim=-1, keepdim=True)


class CrossAttention(nn.Module):
    """Base: ``prepare`` precomputes per-source keys once; ``forward`` scores one decoder step."""

    def __init__(self, query_dim: int, memory_dim: int, coverage_scalars: int = 0) -> None:
        super().__init__()
        self.query_dim, self.memory_dim = query_dim, memory_dim
        # One learned weight per head for the coverage logit term (variants that use it).
        self.coverage_weight = nn.Parameter(torch.zeros(coverage_scalars, 1)) if coverage_scalars else None
        # Counterfactual attention: (weights [B, (H,) N], gate [B, N]) → the weights used instead (None: as computed).
        self.override: Callable[[Tensor, Tensor], Tensor] | None = None

    def prepare(self, memory: Tensor) -> Tensor:
        """memory [B, S, Dm] → keys [B, S, K] reused at every decoder step."""
        return memory

    def scores(self, query: Tensor, keys: Tensor, coverage: Tensor | None) -> Tensor:
        """query [B, Dq], keys [B, N, K], coverage [B, N] → logits [B, N] (or [B, H, N])."""
        raise NotImplementedError

    def forward(self, query: Tensor, memory: Tensor, keys: Tensor, gate: Tensor,
                coverage: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
        """memory [B, N, Dm], keys [B, N, K], gate [B, N], coverage [B, N] | None
        → context [B, Dm], weights [B, N], per-head weights [B, H, N] or None."""
        weights = gated_softmax(self.scores(query, keys, coverage), gate)
        if self.override is not None:
            weights = self.override(weights, gate)
        return torch.bmm(weights.unsqueeze(1), memory).squeeze(1), weights, None

    def _coverage_term(self, coverage: Tensor | None) -> Tensor | float:
        if self.coverage_weight is None or coverage is None:
            return 0.0
        return self.coverage_weight[0] * coverage


class AdditiveAttention(CrossAttention):
    """Bahdanau: v · tanh(W_m m_i + W_q q + w_c c_i)."""

    def __init__(self, query_dim: int, memory_dim: int, coverage: bool) -> None:
        super().__init__(query_dim, memory_dim)
        self.memory_proj = nn.Linear(memory_dim, query_dim)
        self.query_proj = nn.Linear(query_dim, query_dim, bias=False)
        self.coverage_proj = nn.Linear(1, query_dim, bias=False) if coverage else None
        self.v = nn.Linear(query_dim, 1, bias=False)

    def prepare(self, memory: Tensor) -> Tensor:
        return self.memory_proj(memory)                                  # (B, N, Dq)

    def scores(self, query: Tensor, keys: Tensor, coverage: Tensor | None) -> Tensor:
        feature = keys + self.query_proj(query).unsqueeze(1)              # (B, N, Dq)
        if self.coverage_proj is not None and coverage is not None:
            feature = feature.addcmul_(coverage.unsqueeze(-1), self.coverage_proj.weight[:, 0])
        # v · tanh(x) = 2 v · σ(2x) − Σv. The same function, computed as a sigmoid: torch's CPU tanh is ~6×
        # slower than its sigmoid (benchmarks/forward.py), and this [B, N, Dq] activation is the decoder's
        # biggest cost on long sources. In place: nothing else reads ``feature``.
        v = self.v.weight[0]                                              # (Dq,)
        return 2 * torch.matmul(feature.mul_(2).sigmoid_(), v) - v.sum()  # (B, N)


class DotAttention(CrossAttention):
    """Luong dot, with memory projected to the query size: q · (W_k m_i) / sqrt(Dq)."""

    def __init__(self, query_dim: int, memory_dim: int, coverage: bool) -> None:
        super().__init__(query_dim, memory_dim, int(coverage))
        self.key_proj = nn.Linear(memory_dim, query_dim, bias=False)

    def prepare(self, memory: Tensor) -> Tensor:
        return self.key_proj(memory)                                      # (B, N, Dq)

    def scores(self, query: Tensor, keys: Tensor, coverage: Tensor | None) -> Tensor:
        dot = torch.bmm(keys, query.unsqueeze(-1)).squeeze(-1) / math.sqrt(self.query_dim)
        return dot + self._coverage_term(coverage)                        # (B, N)


class GeneralAttention(CrossAttention):
    """Luong general (bilinear): (W q) · m_i."""

    def __init__(self, query_dim: int, memory_dim: int, coverage: bool) -> None:
        super().__init__(query_dim, memory_dim, int(coverage))
        self.bilinear = nn.Linear(query_dim, memory_dim, bias=False)

    def scores(self, query: Tensor, keys: Tensor, coverage: Tensor | None) -> Tensor:
        dot = torch.bmm(keys, self.bilinear(query).unsqueeze(-1)).squeeze(-1)
        return dot + self._coverage_term(coverage)                        # (B, N)


class MultiHeadAttention(CrossAttention):
    """Scaled dot-product with H heads. The head average is the copy distribution and heatmap."""

    def __init__(self, query_dim: int, memory_dim: int, coverage: bool, num_heads: int) -> None:
        super().__init__(query_dim, memory_dim, num_heads if coverage else 0)
        self.num_heads, self.head_dim = num_heads, memory_dim // num_heads
        self.query_proj = nn.Linear(query_dim, memory_dim)
        self.key_proj = nn.Linear(memory_dim, memory_dim)
        self.value_proj = nn.Linear(memory_dim, memory_dim)
        self.out_proj = nn.Linear(memory_dim, memory_dim)

    def _split(self, x: Tensor) -> Tensor:
        b, s, _ = x.shape
        return x.view(b, s, self.num_heads, self.head_dim).transpose(1, 2)  # (B, H, N, d)

    def prepare(self, memory: Tensor) -> Tensor:
        return torch.cat([self.key_proj(memory), self.value_proj(memory)], dim=-1)  # (B, N, 2Dm)

    def scores(self, query: Tensor, keys: Tensor, coverage: Tensor | None) -> Tensor:
        k = self._split(keys[..., : self.memory_dim])                    # (B, H, N, d)
        q = self.query_proj(query).view(-1, self.num_heads, self.head_dim, 1)
        dot = torch.matmul(k, q).squeeze(-1) / math.sqrt(self.head_dim)  # (B, H, N)
        if self.coverage_weight is not None and coverage is not None:
            dot = dot + self.coverage_weight * coverage.unsqueeze(1)
        return dot

    def forward(self, query: Tensor, memory: Tensor, keys: Tensor, gate: Tensor,
                coverage: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
        heads = gated_softmax(self.scores(query, keys, coverage), gate.unsqueeze(1))   # (B, H, N)
        if self.override is not None:
            heads = self.override(heads, gate)
        values = self._split(keys[..., self.memory_dim:])                 # (B, H, N, d)
        per_head = torch.matmul(heads.unsqueeze(2), values).squeeze(2)    # (B, H, d)
        context = self.out_proj(per_head.reshape(per_head.shape[0], -1))  # (B, Dm)
        return context, heads.mean(dim=1), heads


def make_attention(config: ModelConfig) -> CrossAttention:
    """The attention variant named by ``config.attention``."""
    query_dim, memory_dim = config.hidden_dim, 2 * config.hidden_dim
    if config.attention == "multihead":
        return MultiHeadAttention(query_dim, memory_dim, config.coverage, config.num_heads)
    kinds = {"additive": AdditiveAttention, "dot": DotAttention, "general": GeneralAttention}
    return kinds[config.attention](query_dim, memory_dim, config.coverage)

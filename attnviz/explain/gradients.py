"""Gradient methods on the source embedding: Integrated Gradients, Input×Gradient, Saliency.

All T rows share forward passes: one forward (or one per chunk of the IG path) keeps the graph, and
T backward passes read one row each. Per-token scores sum the embedding dimension (E).
"""
from __future__ import annotations

import torch
from captum.attr._utils.approximation_methods import approximation_parameters
from torch import Tensor

from attnviz.explain.base import Attribution, ForcedScorer, Stopwatch
from attnviz.tokenizer import PAD_ID
from attnviz.types import Generation


def _embeddings(scorer: ForcedScorer) -> tuple[Tensor, Tensor]:
    """Source embedding x [1, S, E] and the baseline x0 = <pad> embedding [1, S, E], detached."""
    emb = scorer.model.source_embedding
    with torch.no_grad():
        return emb(scorer.ids), emb(torch.full_like(scorer.ids, PAD_ID))


def _row_gradients(scorer: ForcedScorer, points: Tensor, weights: Tensor | None = None) -> Tensor:
    """Gradients of every target row at ``points`` [N, S, E], weighted by ``weights`` [N] and summed
    over N → [T, S, E]. One forward, T backward passes."""
    points = points.detach().requires_grad_(True)
    out = scorer.score_embedded(points)                                   # (N, T)
    grads = []
    for t in range(scorer.summary_len):
        (g,) = torch.autograd.grad(out[:, t].sum(), points, retain_graph=t < scorer.summary_len - 1)
        scorer.backward_passes += points.shape[0]
        grads.append(g if weights is None else g * weights.view(-1, 1, 1))
    return torch.stack([g.sum(dim=0) for g in grads])                     # (T, S, E)


def integrated_gradients(scorer: ForcedScorer, generation: Generation, *, n_steps: int = 50,
                         method: str = "gausslegendre") -> Attribution:
    """IG from the <pad>-embedding baseline with captum's quadrature (same alphas and step sizes as
    captum's LayerIntegratedGradients); checks: per-row convergence delta and its worst relative size."""
    if n_steps < 1:
        raise ValueError("n_steps must be at least 1")
    watch = Stopwatch(scorer)
    step_sizes, alphas = approximation_parameters(method)
    weights = torch.tensor(step_sizes(n_steps), dtype=torch.float32, device=scorer.ids.device)
    alpha = torch.tensor(alphas(n_steps), dtype=torch.float32, device=scorer.ids.device)
    x, x0 = _embeddings(scorer)
    total = torch.zeros(scorer.summary_len, *x.shape[1:], device=x.device)
    for start in range(0, n_steps, scorer.batch_size):
        a = alpha[start:start + scorer.batch_size].view(-1, 1, 1)
        total += _row_gradients(scorer, x0 + a * (x - x0), weights[start:start + scorer.batch_size])
    scores = ((x - x0) * total).sum(dim=-1)                               # (T, S)
    with torch.no_grad():
        ends = scorer.score_embedded(torch.cat([x, x0]))                  # (2, T)
    gap = ends[0] - ends[1]
    delta = scores.sum(dim=1) - gap
    relative = (delta.abs() / gap.abs().clamp_min(1e-12)).detach().cpu().numpy()
    checks = {"convergence_delta": delta.detach().cpu().numpy().round(6).tolist(),
              "worst_relative_delta": float(relative.max()), "worst_row": int(relative.argmax())}
    return watch.finish("integrated_gradients", generation, scores.detach().cpu().numpy(),
                        {"n_steps": n_steps, "method": method, "baseline": "<pad> embedding"}, checks)


def _gradients_at_input(scorer: ForcedScorer) -> tuple[Tensor, Tensor]:
    x, _ = _embeddings(scorer)
    return x, _row_gradients(scorer, x)                                   # (1, S, E), (T, S, E)


def input_x_gradient(scorer: ForcedScorer, generation: Generation) -> Attribution:
    """(x · ∂f_t/∂x) summed over the embedding dimension."""
    watch = Stopwatch(scorer)
    x, grads = _gradients_at_input(scorer)
    scores = (x * grads).sum(dim=-1).detach().cpu().numpy()
    return watch.finish("input_x_gradient", generation, scores, {})


def saliency(scorer: ForcedScorer, generation: Generation) -> Attribution:
    """|∂f_t/∂x| summed over the embedding dimension (captum Saliency with abs=True, then summed)."""
    watch = Stopwatch(scorer)
    _, grads = _gradients_at_input(scorer)
    scores = grads.abs().sum(dim=-1).detach().cpu().numpy()
    return watch.finish("saliency", generation, scores, {"abs": True})

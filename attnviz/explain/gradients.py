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


def _row_gradients(scorer: ForcedScorer, points: Tensor, weights: Tensor | None = None,
                   rows: list[int] | None = None) -> Tensor:
    """Gradients of target rows ``rows`` (default all T) at ``points`` [N, S, E], weighted by ``weights`` [N]
    and summed over N → [R, S, E]. One forward, R backward passes."""
    rows = list(range(scorer.summary_len)) if rows is None else rows
    points = points.detach().requires_grad_(True)
    out = scorer.score_embedded(points)                                   # (N, T)
    grads = []
    for i, t in enumerate(rows):
        (g,) = torch.autograd.grad(out[:, t].sum(), points, retain_graph=i < len(rows) - 1)
        scorer.backward_passes += points.shape[0]
        grads.append(g if weights is None else g * weights.view(-1, 1, 1))
    return torch.stack([g.sum(dim=0) for g in grads])                     # (T, S, E)


def _path_integral(scorer: ForcedScorer, x: Tensor, x0: Tensor, rows: list[int], n_steps: int,
                   method: str) -> Tensor:
    """Σ_k w_k ∂f_t/∂x at x0 + α_k (x − x0) for each t in ``rows``, captum's quadrature → [R, S, E]."""
    step_sizes, alphas = approximation_parameters(method)
    weights = torch.tensor(step_sizes(n_steps), dtype=torch.float32, device=x.device)
    alpha = torch.tensor(alphas(n_steps), dtype=torch.float32, device=x.device)
    total = torch.zeros(len(rows), *x.shape[1:], device=x.device)
    for start in range(0, n_steps, scorer.batch_size):
        a = alpha[start:start + scorer.batch_size].view(-1, 1, 1)
        total += _row_gradients(scorer, x0 + a * (x - x0), weights[start:start + scorer.batch_size], rows)
    return total


def integrated_gradients(scorer: ForcedScorer, generation: Generation, *, n_steps: int = 50, max_steps: int = 400,
                         tolerance: float = 0.01, method: str = "gausslegendre") -> Attribution:
    """IG from the <pad>-embedding baseline with captum's quadrature (same alphas and step sizes as
    captum's LayerIntegratedGradients), all rows sharing each forward over the path.

    Completeness is checked per row: a row whose |Σ_j φ_tj − (f_t(x) − f_t(x0))| exceeds ``tolerance`` ×
    |f_t(x) − f_t(x0)| is recomputed with twice the steps, up to ``max_steps`` (``max_steps`` = ``n_steps``
    turns this off). checks: per-row convergence delta and steps, the worst relative delta, and the worst
    relative delta at ``n_steps`` before any refinement."""
    if n_steps < 1 or max_steps < n_steps:
        raise ValueError("need 1 <= n_steps <= max_steps")
    if tolerance <= 0:
        raise ValueError("tolerance must be positive")
    watch = Stopwatch(scorer)
    x, x0 = _embeddings(scorer)
    with torch.no_grad():
        ends = scorer.score_embedded(torch.cat([x, x0]))                  # (2, T)
    gap = ends[0] - ends[1]
    rows = list(range(scorer.summary_len))
    scores = ((x - x0) * _path_integral(scorer, x, x0, rows, n_steps, method)).sum(dim=-1)    # (T, S)
    steps = [n_steps] * scorer.summary_len

    def relative() -> Tensor:
        return (scores.sum(dim=1) - gap).abs() / gap.abs().clamp_min(1e-12)

    first = relative()
    todo, current = [t for t in rows if first[t] > tolerance], n_steps
    while todo and current < max_steps:
        current = min(2 * current, max_steps)
        scores[todo] = ((x - x0) * _path_integral(scorer, x, x0, todo, current, method)).sum(dim=-1)
        for t in todo:
            steps[t] = current
        now = relative()
        todo = [t for t in todo if now[t] > tolerance]
    delta = scores.sum(dim=1) - gap
    rel = relative().detach().cpu().numpy()
    checks = {"convergence_delta": delta.detach().cpu().numpy().round(6).tolist(), "steps_per_row": steps,
              "worst_relative_delta": float(rel.max()), "worst_row": int(rel.argmax()),
              "worst_relative_delta_at_n_steps": float(first.max()), "rows_refined": sum(s > n_steps for s in steps)}
    return watch.finish("integrated_gradients", generation, scores.detach().cpu().numpy(),
                        {"n_steps": n_steps, "max_steps": max_steps, "tolerance": tolerance, "method": method,
                         "baseline": "<pad> embedding"}, checks)


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

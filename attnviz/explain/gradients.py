"""Gradient methods: Integrated Gradients and Input×Gradient on the presence gates, Saliency on the embedding.

All T rows share forward passes: one forward (or one per chunk of the IG path) keeps the graph, and
T backward passes read one row each. See ``base`` for the explained function f_t(g).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
from captum.attr._utils.approximation_methods import approximation_parameters
from torch import Tensor

from attnviz.errors import InputError
from attnviz.explain import reference
from attnviz.explain.base import Stopwatch
from attnviz.explain.spec import MethodSpec, Param
from attnviz.models.scorer import Scorer
from attnviz.types import Attribution


def _row_gradients(scorer: Scorer, points: Tensor, score, rows: list[int]) -> Tensor:
    """∂f_t/∂points for each t in ``rows`` at ``points`` [N, ...] (``score`` maps points → [N, T]):
    one forward, R backward passes → [R, N, ...]."""
    points = points.detach().requires_grad_(True)
    out = score(points)                                                   # (N, T)
    return torch.stack([scorer.gradients(out[:, t], points, retain_graph=i < len(rows) - 1)
                        for i, t in enumerate(rows)])


def path_nodes(n_steps: int, method: str, power: int) -> tuple[list[float], list[float]]:
    """Nodes α_k and weights of ∫₀¹ h(α) dα: captum's rule ``method`` on u ∈ [0, 1], then α = u^power
    (weights w_k · power · u_k^(power − 1)). power > 1 puts more nodes near α = 0, where f_t changes
    fastest: as the first tokens appear, attention moves off the null slot. power 1 is captum's rule."""
    step_sizes, alphas = approximation_parameters(method)
    u, w = alphas(n_steps), step_sizes(n_steps)
    return ([round(float(a) ** power, 15) for a in u],
            [float(wk) * power * float(a) ** (power - 1) for wk, a in zip(w, u)])


class PathGradients:
    """∂f_t/∂g at the points g = α·1 of the IG path, remembered per (row, α) so that a refined quadrature
    evaluates only the nodes it has not seen (riemann_trapezoid n → 2n − 1, riemann_left/right n → 2n
    reuse every earlier node; Gauss-Legendre nodes of different orders never coincide)."""

    def __init__(self, scorer: Scorer) -> None:
        self.scorer = scorer
        self.cache: dict[tuple[int, float], Tensor] = {}                 # (row, α) → gradient [S]
        self.reused = 0

    def integral(self, rows: list[int], n_steps: int, method: str, power: int = 1) -> Tensor:
        """Σ_k w_k ∂f_t/∂g(α_k·1) for each t in ``rows`` (``path_nodes``) → [R, S]."""
        nodes, weights = path_nodes(n_steps, method, power)
        todo = sorted({a for a in nodes for t in rows if (t, a) not in self.cache})
        self.reused += sum((t, a) in self.cache for a in set(nodes) for t in rows)
        s = self.scorer.source_len
        for start in range(0, len(todo), self.scorer.batch_size):
            chunk = todo[start:start + self.scorer.batch_size]
            need = [t for t in rows if any((t, a) not in self.cache for a in chunk)]
            points = torch.tensor(chunk, dtype=torch.float32, device=self.scorer.device).unsqueeze(1).expand(-1, s)
            grads = _row_gradients(self.scorer, points, self.scorer.score_presence, need)   # (R', n, S)
            for i, t in enumerate(need):
                for k, a in enumerate(chunk):
                    self.cache[(t, a)] = grads[i, k]
        return torch.stack([sum(w * self.cache[(t, a)] for w, a in zip(weights, nodes)) for t in rows])


def refined_steps(method: str, n_steps: int) -> int:
    """The next, finer node count: one whose nodes include the current ones where the rule nests
    (riemann_trapezoid 2n − 1, riemann_middle 3n, riemann_left/right 2n), else 2n."""
    return {"riemann_trapezoid": 2 * n_steps - 1, "riemann_middle": 3 * n_steps}.get(method, 2 * n_steps)


def check_ig_params(params: dict[str, Any]) -> None:
    """IG's parameters that must fit together: InputError before any pass (captum would assert on a Riemann
    rule of one step)."""
    n_steps, method = params["n_steps"], params["method"]
    if params["max_steps"] < n_steps:
        raise InputError(f"integrated_gradients: need n_steps <= max_steps, not {n_steps} > {params['max_steps']}")
    if params["tolerance"] == params["abs_tolerance"] == 0:
        raise InputError("integrated_gradients: tolerance and abs_tolerance cannot both be 0")
    if method.startswith("riemann") and n_steps < 2:
        raise InputError(f"integrated_gradients: a Riemann rule ({method}) needs n_steps of at least 2, not {n_steps}")


def integrated_gradients(scorer: Scorer, *, n_steps: int = 32, max_steps: int = 256,
                         tolerance: float = 0.01, abs_tolerance: float = 1e-3,
                         method: str = "gausslegendre", path_power: int = 3) -> Attribution:
    """IG over the presence gates from "all absent" (g = 0) to "all present" (g = 1), all rows sharing each
    forward. The quadrature is captum's rule ``method`` with its nodes moved to α = u^``path_power``
    (``path_nodes``; path_power 1 gives captum's IntegratedGradients exactly). On the shipped model, 300
    tokens and 16 rows, the worst |φ − φ(400 nodes)| was 0.41 nats for Gauss-Legendre at 50 nodes and
    3e-6 with path_power 3 at 32 nodes (`python benchmarks/ig_quadrature.py` prints the table).

    φ_tj = ∫₀¹ ∂f_t/∂g_j(α·1) dα, so row t sums to f_t(1) − f_t(0) up to the quadrature error δ_t.
    A row passes when |δ_t| ≤ max(``tolerance`` · |f_t(1) − f_t(0)|, ``abs_tolerance``) (nats); a row that
    does not is recomputed with more steps (``refined_steps``: about twice), up to ``max_steps``, reusing
    the nodes it has already seen where the rule nests. checks: per row δ, the gap, the allowed error, the steps and why it was
    refined; the worst |δ| relative to the allowed error (≤ 1 means every row passed)."""
    check_ig_params(dict(n_steps=n_steps, max_steps=max_steps, tolerance=tolerance, abs_tolerance=abs_tolerance,
                         method=method))
    watch = Stopwatch(scorer)
    with torch.no_grad():
        ends = scorer.score_keep(torch.stack([torch.ones(scorer.source_len), torch.zeros(scorer.source_len)]))
    gap = (ends[0] - ends[1]).double()                                    # (T,)
    allowed = torch.maximum(tolerance * gap.abs(), torch.full_like(gap, abs_tolerance))
    path = PathGradients(scorer)
    rows = list(range(scorer.summary_len))
    scores = path.integral(rows, n_steps, method, path_power).double()    # (T, S)
    steps = [n_steps] * scorer.summary_len
    reasons = [""] * scorer.summary_len
    todo = [t for t in rows if (scores[t].sum() - gap[t]).abs() > allowed[t]]
    current = n_steps
    while todo and current < max_steps:
        for t in todo:
            delta = float(scores[t].sum() - gap[t])
            reasons[t] += f"|δ| {abs(delta):.2g} > {float(allowed[t]):.2g} at {current} steps; "
        current = min(refined_steps(method, current), max_steps)
        scores[todo] = path.integral(todo, current, method, path_power).double()
        for t in todo:
            steps[t] = current
        todo = [t for t in todo if (scores[t].sum() - gap[t]).abs() > allowed[t]]
    delta = (scores.sum(dim=1) - gap).cpu().numpy()
    ratio = np.abs(delta) / allowed.cpu().numpy()
    checks = {"convergence_delta": delta.round(8).tolist(), "gap": gap.cpu().numpy().round(6).tolist(),
              "allowed_delta": allowed.cpu().numpy().round(8).tolist(), "steps_per_row": steps,
              "refined_because": [r.rstrip("; ") for r in reasons],
              "rows_refined": sum(s > n_steps for s in steps), "reused_gradients": path.reused,
              "rule": f"max({tolerance:.0%} of |f(all) − f(none)|, {abs_tolerance:g} nats)",
              "worst_delta_over_allowed": float(ratio.max()), "worst_row": int(ratio.argmax()),
              "all_rows_converged": bool((ratio <= 1).all())}
    return watch.finish("integrated_gradients", scores.cpu().numpy(),
                        {"n_steps": n_steps, "max_steps": max_steps, "tolerance": tolerance,
                         "abs_tolerance": abs_tolerance, "method": method, "path_power": path_power,
                         "baseline": "all tokens absent"}, checks)


def convergence_note(checks: dict) -> str:
    """One sentence on an IG result's convergence (its ``checks``), for the page."""
    steps = checks["steps_per_row"]
    refined = f"{checks['rows_refined']} of {len(steps)} rows refined (up to {max(steps)} steps)"
    if checks["all_rows_converged"]:
        return (f"Every row converged: each summary token's scores add up to how far its log-probability falls from "
                f"the whole source to none, within {checks['rule']}; the worst row used "
                f"{checks['worst_delta_over_allowed']:.1%} of that allowance; {refined}.")
    bad = [t for t, (d, a) in enumerate(zip(checks["convergence_delta"], checks["allowed_delta"])) if abs(d) > a]
    return (f"Rows {', '.join(map(str, bad))} did not converge within {max(steps)} steps (worst δ "
            f"{checks['convergence_delta'][checks['worst_row']]:.2g}): read them with care; {refined}.")


def input_x_gradient(scorer: Scorer) -> Attribution:
    """∂f_t/∂g_j at g = 1 times the input g_j = 1: the first-order estimate of what removing token j
    changes (captum InputXGradient on the presence gates)."""
    watch = Stopwatch(scorer)
    ones = torch.ones(1, scorer.source_len, device=scorer.device)
    grads = _row_gradients(scorer, ones, scorer.score_presence, list(range(scorer.summary_len)))  # (T, 1, S)
    return watch.finish("input_x_gradient", grads[:, 0].detach().cpu().numpy(),
                        {"differentiates": "presence gates"})


def saliency(scorer: Scorer) -> Attribution:
    """Σ_e |∂f_t/∂x_je|: the size of the gradient with respect to token j's embedding at the intact
    source (captum Saliency with abs=True, summed over the embedding). A local sensitivity, not a removal:
    its rows add up to nothing in particular."""
    watch = Stopwatch(scorer)
    x = scorer.source_embeddings()                                        # (1, S, E)
    grads = _row_gradients(scorer, x, scorer.score_embedded, list(range(scorer.summary_len)))    # (T, 1, S, E)
    return watch.finish("saliency", grads[:, 0].abs().sum(dim=-1).detach().cpu().numpy(),
                        {"abs": True, "differentiates": "token embeddings"})


QUADRATURES = ("gausslegendre", "riemann_trapezoid", "riemann_left", "riemann_right", "riemann_middle")


def _gradient_reference(name: str):
    def run(scorer: Scorer, rows, params: dict) -> np.ndarray:
        return reference.per_token_gradient(name, scorer, rows)
    return run


INTEGRATED_GRADIENTS = MethodSpec(
    "integrated_gradients", integrated_gradients, title="Integrated Gradients",
    cost=lambda s, t, p: (p["n_steps"] + 2, p["n_steps"] * t, "at least"),
    params=(Param("n_steps", 32, "IG steps", low=1, high=1024, page_high=256, budget=True),
            Param("max_steps", 256, "IG steps at most (refinement)", low=1, high=1024),
            Param("tolerance", 0.01, "allowed |δ| relative to |f(all) − f(none)|", low=0, high=1),
            Param("abs_tolerance", 1e-3, "allowed |δ| in nats", low=0, high=10),
            Param("method", "gausslegendre", "quadrature rule", choices=QUADRATURES),
            Param("path_power", 3, "nodes at α = u^path_power", low=1, high=8)),
    reference=lambda scorer, rows, p: reference.per_token_integrated_gradients(scorer, rows, n_steps=p["n_steps"],
                                                                               method=p["method"]),
    reference_params=lambda p: {**p, "max_steps": p["n_steps"], "path_power": 1},   # captum's nodes, no refinement
    summary="∫ ∂f_t/∂g along the presence path from all absent to all present", check_together=check_ig_params)
INPUT_X_GRADIENT = MethodSpec(
    "input_x_gradient", input_x_gradient, cost=lambda s, t, p: (1, t, "exact"), title="Input×Gradient",
    reference=_gradient_reference("input_x_gradient"), summary="∂f_t/∂g_j at all present")
SALIENCY = MethodSpec(
    "saliency", saliency, cost=lambda s, t, p: (1, t, "exact"), reference=_gradient_reference("saliency"),
    title="saliency", on_presence=False, summary="|∂f_t/∂embedding of token j|, summed (a local sensitivity)")

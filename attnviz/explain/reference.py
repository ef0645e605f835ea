"""Straightforward references our shared-pass explainers must equal: the library called once per
summary token (captum), and leave-one-out computed directly. Used by the check command and the benchmark.

Shapes: S source tokens, R = len(rows) summary tokens explained.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch
from captum._utils.models.linear_model import SkLearnRidge
from captum.attr import FeatureAblation, InputXGradient, IntegratedGradients, KernelShap, Lime, Saliency

from attnviz.models.scorer import Scorer

# LIME's surrogate: ridge regression with intercept and α = 1, as the lime package's text explainer uses.
# With as many samples as tokens an unregularised weighted least squares has no unique solution.
LIME_RIDGE_ALPHA = 1.0


def make_lime(forward) -> Lime:
    """captum Lime over token presence with our surrogate (Bernoulli(0.5) masks and the exponential
    cosine kernel of width 1 are captum's defaults)."""
    return Lime(forward, interpretable_model=SkLearnRidge(alpha=LIME_RIDGE_ALPHA))


PRESENCE_METHODS = {"lime": make_lime, "kernel_shap": KernelShap, "occlusion": FeatureAblation}


def per_token_presence(name: str, scorer: Scorer, rows: Iterable[int], *, seed: int = 0,
                       n_samples: int | None = None) -> np.ndarray:
    """captum's Lime / KernelShap / FeatureAblation over token presence, one call per summary token, the
    same budget and seed as ours, the model run on every sample (no cache) → [R, S]."""
    explainer = PRESENCE_METHODS[name](lambda p: scorer.score_keep(p > 0.5))
    presence = torch.ones(1, scorer.source_len, device=scorer.device)
    kwargs: dict[str, Any] = {"baselines": 0.0, "perturbations_per_eval": scorer.batch_size,
                              "feature_mask": torch.arange(scorer.source_len, device=presence.device).unsqueeze(0)}
    if name != "occlusion":
        if n_samples is None:
            raise ValueError(f"{name} needs n_samples")
        kwargs["n_samples"] = n_samples
    out = []
    for t in rows:
        torch.manual_seed(seed)
        out.append(explainer.attribute(presence, target=t, **kwargs)[0].detach().cpu().numpy())
    return np.stack(out)


def per_token_integrated_gradients(scorer: Scorer, rows: Iterable[int], *, n_steps: int | list[int] = 50,
                                   method: str = "gausslegendre") -> np.ndarray:
    """captum IntegratedGradients on the presence gates from all absent (0) to all present (1), one call per
    summary token → [R, S]. ``n_steps`` may differ per summary token (a list indexed by t, e.g. our IG's
    ``checks["steps_per_row"]``)."""
    ig = IntegratedGradients(scorer.score_presence)
    ones = torch.ones(1, scorer.source_len, device=scorer.device)
    return np.stack([ig.attribute(ones, baselines=torch.zeros_like(ones), target=t, method=method,
                                  n_steps=n_steps[t] if isinstance(n_steps, list) else n_steps,
                                  internal_batch_size=scorer.batch_size)[0].detach().cpu().numpy()
                     for t in rows])


def per_token_gradient(name: str, scorer: Scorer, rows: Iterable[int]) -> np.ndarray:
    """captum InputXGradient on the presence gates, or Saliency (abs) on the source embedding summed over
    it, one call per summary token → [R, S]."""
    if name == "input_x_gradient":
        method, point = InputXGradient(scorer.score_presence), torch.ones(1, scorer.source_len, device=scorer.device)
    else:
        method, point = Saliency(scorer.score_embedded), scorer.source_embeddings()
    kwargs = {"abs": True} if name == "saliency" else {}
    out = [method.attribute(point.clone().requires_grad_(True), target=t, **kwargs)[0] for t in rows]
    return np.stack([(o if o.ndim == 1 else o.sum(-1)).detach().cpu().numpy() for o in out])


@torch.no_grad()
def leave_one_out(scorer: Scorer) -> np.ndarray:
    """f_t(all present) − f_t(token j absent), one model call per source j → [T, S]."""
    s = scorer.source_len
    ones = torch.ones(1, s, device=scorer.device)
    full = scorer.score_presence(ones)[0]                                 # (T,)
    drops = []
    for j in range(s):
        presence = ones.clone()
        presence[0, j] = 0
        drops.append(scorer.score_presence(presence)[0])
    return (full.unsqueeze(0) - torch.stack(drops)).T.cpu().numpy()

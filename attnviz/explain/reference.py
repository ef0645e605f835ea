"""Straightforward references our shared-pass explainers must equal: the library called once per
summary token (captum), and leave-one-out computed directly. Used by the axiom check and the benchmark.

Shapes: S source tokens, R = len(rows) summary tokens explained.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch
from captum.attr import FeatureAblation, InputXGradient, KernelShap, LayerIntegratedGradients, Lime, Saliency

from attnviz.explain import method_parameters
from attnviz.explain.base import ForcedScorer
from attnviz.tokenizer import PAD_ID

PRESENCE_METHODS = {"lime": Lime, "kernel_shap": KernelShap, "occlusion": FeatureAblation}


def per_token_presence(name: str, scorer: ForcedScorer, rows: Iterable[int], *, seed: int = 0,
                       n_samples: int | None = None) -> np.ndarray:
    """captum's Lime / KernelShap / FeatureAblation over token presence, one call per summary token, the
    same budget and seed as ours, the model run on every sample (no cache) → [R, S]."""
    explainer = PRESENCE_METHODS[name](lambda p: scorer.score_keep(p > 0.5))
    presence = torch.ones(1, scorer.source_len, device=scorer.ids.device)
    kwargs: dict[str, Any] = {"baselines": 0.0, "perturbations_per_eval": scorer.batch_size,
                              "feature_mask": torch.arange(scorer.source_len, device=presence.device).unsqueeze(0)}
    if name != "occlusion":
        kwargs["n_samples"] = n_samples or method_parameters(name)["n_samples"]
    out = []
    for t in rows:
        torch.manual_seed(seed)
        out.append(explainer.attribute(presence, target=t, **kwargs)[0].detach().cpu().numpy())
    return np.stack(out)


def per_token_integrated_gradients(scorer: ForcedScorer, rows: Iterable[int], *,
                                   n_steps: int | list[int] = 50) -> np.ndarray:
    """captum LayerIntegratedGradients on the source embedding from the <pad> baseline, one call per
    summary token, summed over the embedding → [R, S]. ``n_steps`` may differ per summary token (a list
    indexed by t, e.g. our IG's ``checks["steps_per_row"]``)."""
    lig = LayerIntegratedGradients(scorer.score_ids, scorer.model.source_embedding)
    pad = torch.full_like(scorer.ids, PAD_ID)
    return np.stack([lig.attribute(scorer.ids, baselines=pad, target=t,
                                   n_steps=n_steps[t] if isinstance(n_steps, list) else n_steps,
                                   internal_batch_size=scorer.batch_size).sum(-1)[0].detach().cpu().numpy()
                     for t in rows])


def per_token_gradient(name: str, scorer: ForcedScorer, rows: Iterable[int]) -> np.ndarray:
    """captum InputXGradient or Saliency (abs) on the source embedding, one call per summary token → [R, S]."""
    method = {"input_x_gradient": InputXGradient, "saliency": Saliency}[name](scorer.score_embedded)
    x = scorer.model.source_embedding(scorer.ids).detach()
    kwargs = {"abs": True} if name == "saliency" else {}
    return np.stack([method.attribute(x.clone().requires_grad_(True), target=t, **kwargs).sum(-1)[0]
                     .detach().cpu().numpy() for t in rows])


@torch.no_grad()
def leave_one_out(scorer: ForcedScorer) -> np.ndarray:
    """f_t(x) − f_t(x with token j set to <pad>) from the ids, one source per j → [T, S]."""
    s = scorer.source_len
    full = scorer.score_ids(scorer.ids)[0]                                # (T,)
    drops = []
    for start in range(0, s, scorer.batch_size):
        js = torch.arange(start, min(s, start + scorer.batch_size), device=scorer.ids.device)
        ids = scorer.ids.repeat(len(js), 1)
        ids[torch.arange(len(js)), js] = PAD_ID
        drops.append(scorer.score_ids(ids))                               # (len(js), T)
    return (full.unsqueeze(0) - torch.cat(drops)).T.cpu().numpy()

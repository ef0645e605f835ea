"""Perturbation methods over token presence: occlusion, LIME and KernelSHAP (captum).

Each perturbed source is run once and scores all T summary tokens. Occlusion needs only the S
leave-one-out sources. For LIME and KernelSHAP captum is called once per summary token with the same
seed, so it draws the same masks every time; a cache serves the model outputs of masks it has
already seen, so the model runs once per distinct mask and captum's own estimator fits every row.
"""
from __future__ import annotations

import numpy as np
import torch
from captum.attr import KernelShap, Lime
from torch import Tensor

from attnviz.explain.base import Attribution, ForcedScorer, Stopwatch
from attnviz.types import Generation


def occlusion(scorer: ForcedScorer, generation: Generation) -> Attribution:
    """f_t(x) − f_t(x without token j): one source token at a time replaced by <pad>."""
    watch = Stopwatch(scorer)
    s = scorer.source_len
    keep = torch.ones(s + 1, s)
    keep[1:].fill_diagonal_(0)                                            # row 0 intact, row j+1 drops j
    out = scorer.score_keep(keep)                                         # (S + 1, T)
    scores = (out[:1] - out[1:]).T                                        # (T, S)
    return watch.finish("occlusion", generation, scores.cpu().numpy(), {"baseline": "<pad>"})


class CachedPresenceForward:
    """captum forward function: presence [n, S] (1 = kept) → [n, T], each distinct mask run once."""

    def __init__(self, scorer: ForcedScorer) -> None:
        self.scorer = scorer
        self.cache: dict[bytes, Tensor] = {}

    def __call__(self, presence: Tensor) -> Tensor:
        keep = (presence.reshape(presence.shape[0], -1) > 0.5).cpu().numpy()
        keys = [row.tobytes() for row in keep]
        missing = sorted({k: i for i, k in enumerate(keys) if k not in self.cache}.values())
        if missing:
            for i, row in zip(missing, self.scorer.score_keep(keep[missing])):
                self.cache[keys[i]] = row
        return torch.stack([self.cache[k] for k in keys])


def _per_row(explainer_cls, scorer: ForcedScorer, *, n_samples: int, seed: int) -> tuple[Stopwatch, np.ndarray, CachedPresenceForward]:
    """Call captum's ``explainer_cls`` once per summary token with one seed; → watch, scores [T, S], cache."""
    if n_samples < 2:
        raise ValueError("n_samples must be at least 2")
    watch = Stopwatch(scorer)
    forward = CachedPresenceForward(scorer)
    explainer = explainer_cls(forward)
    presence = torch.ones(1, scorer.source_len, device=scorer.ids.device)
    rows = []
    for t in range(scorer.summary_len):
        torch.manual_seed(seed)
        attr = explainer.attribute(presence, baselines=0.0, target=t, n_samples=n_samples,
                                   perturbations_per_eval=scorer.batch_size,
                                   feature_mask=torch.arange(scorer.source_len, device=presence.device).unsqueeze(0))
        rows.append(attr[0].detach().cpu().numpy())
    return watch, np.stack(rows), forward


def lime(scorer: ForcedScorer, generation: Generation, *, n_samples: int = 300, seed: int = 0) -> Attribution:
    """captum Lime (its defaults: Bernoulli(0.5) token masks, exponential cosine kernel, Lasso α=0.01)."""
    watch, scores, forward = _per_row(Lime, scorer, n_samples=n_samples, seed=seed)
    return watch.finish("lime", generation, scores, {"n_samples": n_samples, "seed": seed},
                        {"distinct_masks": len(forward.cache)})


def kernel_shap(scorer: ForcedScorer, generation: Generation, *, n_samples: int = 300, seed: int = 0) -> Attribution:
    """captum KernelShap; checks the efficiency gap |Σ_j φ_tj − (f_t(x) − f_t(∅))| per row."""
    watch, scores, forward = _per_row(KernelShap, scorer, n_samples=n_samples, seed=seed)
    ends = forward(torch.stack([torch.ones(scorer.source_len), torch.zeros(scorer.source_len)]))
    gap = (ends[0] - ends[1]).cpu().numpy()
    error = np.abs(scores.sum(axis=1) - gap)
    return watch.finish("kernel_shap", generation, scores, {"n_samples": n_samples, "seed": seed},
                        {"distinct_masks": len(forward.cache), "efficiency_max_abs_error": float(error.max())})

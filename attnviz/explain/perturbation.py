"""Perturbation methods over token presence: occlusion, LIME and KernelSHAP (captum).

They evaluate the explained function f_t (see ``base``) on binary presence: a token is present or absent.

Each perturbed source is run once and scores all T summary tokens. Occlusion needs only the S
leave-one-out sources. For LIME and KernelSHAP captum is called once per summary token with the same
seed, so it draws the same masks every time; a cache serves the model outputs of masks it has
already seen, so the model runs once per distinct mask and captum's own estimator fits every row.
"""
from __future__ import annotations

import numpy as np
import torch
from captum.attr import KernelShap
from torch import Tensor

from attnviz.explain import reference
from attnviz.explain.base import Stopwatch
from attnviz.explain.reference import make_lime
from attnviz.explain.spec import MethodSpec, Param, seed_param
from attnviz.models.scorer import Scorer
from attnviz.types import Attribution


def occlusion(scorer: Scorer) -> Attribution:
    """f_t(all present) − f_t(all present but token j): one source token absent at a time."""
    watch = Stopwatch(scorer)
    s = scorer.source_len
    keep = torch.ones(s + 1, s)
    keep[1:].fill_diagonal_(0)                                            # row 0 intact, row j+1 drops j
    out = scorer.score_keep(keep)                                         # (S + 1, T)
    scores = (out[:1] - out[1:]).T                                        # (T, S)
    return watch.finish("occlusion", scores.cpu().numpy(), {"baseline": "token absent"})


class CachedPresenceForward:
    """captum forward function: presence [n, S] (1 = kept) → [n, T], each distinct mask run once."""

    def __init__(self, scorer: Scorer) -> None:
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


def _per_row(make_explainer, scorer: Scorer, *, n_samples: int, seed: int) -> tuple[Stopwatch, np.ndarray, CachedPresenceForward]:
    """Call captum's explainer (``make_explainer(forward)``) once per summary token with one seed;
    → watch, scores [T, S], cache."""
    watch = Stopwatch(scorer)
    forward = CachedPresenceForward(scorer)
    explainer = make_explainer(forward)
    presence = torch.ones(1, scorer.source_len, device=scorer.device)
    rows = []
    for t in range(scorer.summary_len):
        torch.manual_seed(seed)
        attr = explainer.attribute(presence, baselines=0.0, target=t, n_samples=n_samples,
                                   perturbations_per_eval=scorer.batch_size,
                                   feature_mask=torch.arange(scorer.source_len, device=presence.device).unsqueeze(0))
        rows.append(attr[0].detach().cpu().numpy())
    return watch, np.stack(rows), forward


def lime(scorer: Scorer, *, n_samples: int = 300, seed: int = 0) -> Attribution:
    """captum Lime: Bernoulli(0.5) token masks, exponential cosine kernel (width 1), weighted ridge
    regression (α = ``reference.LIME_RIDGE_ALPHA``, with intercept) of f_t on presence."""
    watch, scores, forward = _per_row(make_lime, scorer, n_samples=n_samples, seed=seed)
    return watch.finish("lime", scores, {"n_samples": n_samples, "seed": seed},
                        {"distinct_masks": len(forward.cache)})


def kernel_shap(scorer: Scorer, *, n_samples: int = 300, seed: int = 0) -> Attribution:
    """captum KernelShap: Shapley values of the tokens for f_t estimated from ``n_samples`` coalitions;
    each row sums to f_t(all present) − f_t(all absent) (captum enforces it)."""
    if scorer.source_len == 1:           # captum draws no coalition of one token; its Shapley value is the gap
        watch = Stopwatch(scorer)
        ends = scorer.score_keep(torch.tensor([[1], [0]]))               # (2, T)
        return watch.finish("kernel_shap", (ends[0] - ends[1]).unsqueeze(1).cpu().numpy(),
                            {"n_samples": n_samples, "seed": seed}, {"distinct_masks": 2})
    watch, scores, forward = _per_row(KernelShap, scorer, n_samples=n_samples, seed=seed)
    return watch.finish("kernel_shap", scores, {"n_samples": n_samples, "seed": seed},
                        {"distinct_masks": len(forward.cache)})


def _per_token_presence(name: str):
    def run(scorer: Scorer, rows, params: dict) -> np.ndarray:
        return reference.per_token_presence(name, scorer, rows, **params)
    return run


def _sampled(samples: int, summary_len: int, params: dict) -> tuple[int, int, str]:
    return params["n_samples"], 0, "at most"


def _samples_param(label: str) -> Param:
    return Param("n_samples", 300, label, low=2, high=20_000, page_high=5000, budget=True)


OCCLUSION = MethodSpec(
    "occlusion", occlusion, cost=lambda s, t, p: (s + 1, 0, "exact"), reference=_per_token_presence("occlusion"),
    title="occlusion", summary="f_t(all present) − f_t(token j absent)")
LIME = MethodSpec(
    "lime", lime, cost=_sampled, title="LIME", params=(_samples_param("LIME samples"), seed_param()), samples=True,
    reference=_per_token_presence("lime"), summary="weighted ridge regression of f_t on random presence masks")
KERNEL_SHAP = MethodSpec(
    "kernel_shap", kernel_shap, cost=_sampled, title="KernelSHAP",
    params=(_samples_param("KernelSHAP samples"), seed_param()), samples=True,
    reference=_per_token_presence("kernel_shap"), summary="Shapley values estimated from coalitions")

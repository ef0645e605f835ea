"""A ``Scorer`` whose source units are features (sentences, spans) of another scorer's source tokens.

Feature g present ⇔ every token of g present; tokens in no feature stay present. The presence gates of
a feature's tokens are tied: g_token = presence @ membership (+ 1 for held tokens), so the explained
function is the same f_t as for tokens, read on G features. Every method that works on presence
(attention as the feature sums, occlusion, LIME, KernelSHAP, Partition SHAP, IG, Input×Gradient) and
faithfulness run on it unchanged; IG and Input×Gradient on tied gates equal the sums of their token values
(the path α·1 is the same). Saliency differentiates token embeddings: it is summed per feature
(``MethodSpec.on_presence`` False). Shapes: N perturbations, S tokens, G features, T summary tokens.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import torch
from torch import Tensor

from attnviz.features import Features
from attnviz.models.scorer import Scorer
from attnviz.types import Attribution


class FeatureScorer:
    """``inner`` (a token-level Scorer) read on ``features``: score_presence / score_keep take [N, G].
    Pass counters, timers and ``on_pass`` are the inner scorer's."""

    def __init__(self, inner: Scorer, features: Features) -> None:
        if features.source_len != inner.source_len:
            raise ValueError(f"features cover {features.source_len} tokens, the scorer's source has {inner.source_len}")
        self.inner, self.features = inner, features
        self.generation = features.generation(inner.generation)
        self.source_len, self.summary_len, self.batch_size = features.count, inner.summary_len, inner.batch_size
        self._membership = torch.as_tensor(features.membership().T, dtype=torch.float32, device=inner.device)  # (G, S)
        self._held = torch.as_tensor(features.held(), dtype=torch.float32, device=inner.device)               # (S,)

    forward_passes = property(lambda self: self.inner.forward_passes)
    backward_passes = property(lambda self: self.inner.backward_passes)
    forward_seconds = property(lambda self: self.inner.forward_seconds)
    backward_seconds = property(lambda self: self.inner.backward_seconds)

    @property
    def on_pass(self) -> Callable[[int], None] | None:
        return self.inner.on_pass

    @on_pass.setter
    def on_pass(self, hook: Callable[[int], None] | None) -> None:
        self.inner.on_pass = hook

    @property
    def device(self) -> torch.device:
        return self.inner.device

    def tokens(self, presence: Tensor) -> Tensor:
        """Feature gates [N, G] → token gates [N, S] (differentiable)."""
        return presence.to(self.device, torch.float32) @ self._membership + self._held

    def score_presence(self, presence: Tensor) -> Tensor:
        """presence [N, G] in [0, 1] → f [N, T], differentiable."""
        return self.inner.score_presence(self.tokens(presence))

    def score_keep(self, keep: Tensor | np.ndarray) -> Tensor:
        """keep [N, G] (nonzero = present) → f [N, T], no gradients, batched by the inner scorer."""
        keep = torch.as_tensor(keep, device=self.device)
        if keep.ndim != 2 or keep.shape[1] != self.source_len:
            raise ValueError(f"keep must have shape [N, {self.source_len}], not {tuple(keep.shape)}")
        return self.inner.score_keep(self.tokens((keep != 0).float()) > 0)

    def score_masks(self, keep: np.ndarray) -> np.ndarray:
        return self.score_keep(keep).double().cpu().numpy()

    def gradients(self, output: Tensor, inputs: Tensor, *, retain_graph: bool = False) -> Tensor:
        return self.inner.gradients(output, inputs, retain_graph=retain_graph)

    def source_embeddings(self) -> Tensor:
        raise NotImplementedError("token embeddings have no feature-level form: run on .inner and sum")

    def score_embedded(self, embedded: Tensor) -> Tensor:
        raise NotImplementedError("token embeddings have no feature-level form: run on .inner and sum")

    def summed(self, attribution: Attribution) -> Attribution:
        """A token-level attribution of the inner scorer summed per feature ([T, S] → [T, G])."""
        summed = self.features.summed(attribution)
        return replace(summed, params={**attribution.params, "summed_per_feature": True})


def run_on(scorer: Any, run: Callable[..., Attribution], on_presence: bool, params: dict[str, Any]) -> Attribution:
    """``run(scorer, **params)``; for a FeatureScorer and a method that cannot run on presence, on the inner
    scorer, summed per feature."""
    if isinstance(scorer, FeatureScorer) and not on_presence:
        return scorer.summed(run(scorer.inner, **params))
    return run(scorer, **params)

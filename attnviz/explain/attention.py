"""Cross-attention registered as one more attribution method, so it compares like the others."""
from __future__ import annotations

from attnviz.explain.base import Stopwatch
from attnviz.explain.spec import MethodSpec
from attnviz.models.scorer import Scorer
from attnviz.types import Attribution


def attention(scorer: Scorer) -> Attribution:
    """The decoder's cross-attention [T, S] (``Generation.attention``; per layer and head [L, H, T, S] in
    ``head_scores`` for models with several). No extra passes."""
    layers = scorer.generation.layer_attention
    shape = {} if layers is None else {"layers": layers.shape[0]} if layers.shape[0] > 1 else {}
    return Stopwatch(scorer).finish("attention", scorer.generation.attention.copy(),
                                    {**shape, "heads": None if layers is None else layers.shape[1]},
                                    head_scores=None if layers is None else layers.copy())


ATTENTION_SPEC = MethodSpec("attention", attention, cost=lambda s, t, p: (0, 0, "exact"),
                       summary="the decoder's cross-attention weights", title="attention")

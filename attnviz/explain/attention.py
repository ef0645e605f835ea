"""Cross-attention registered as one more attribution method, so it compares like the others."""
from __future__ import annotations

from attnviz.explain.base import Stopwatch
from attnviz.explain.spec import MethodSpec
from attnviz.models.scorer import Scorer
from attnviz.types import Attribution


def attention(scorer: Scorer) -> Attribution:
    """The decoder's cross-attention [T, S] (head average; per head in ``head_scores``). No extra passes."""
    heads = scorer.generation.head_attention
    return Stopwatch(scorer).finish("attention", scorer.generation.attention.copy(),
                                    {"heads": None if heads is None else heads.shape[0]},
                                    head_scores=None if heads is None else heads.copy())


ATTENTION_SPEC = MethodSpec("attention", attention, cost=lambda s, t, p: (0, 0, "exact"),
                       summary="the decoder's cross-attention weights")

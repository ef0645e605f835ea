"""Cross-attention registered as one more attribution method, so it compares like the others."""
from __future__ import annotations

from attnviz.explain.base import Attribution, ForcedScorer, Stopwatch
from attnviz.types import Generation


def attention(scorer: ForcedScorer, generation: Generation) -> Attribution:
    """The decoder's cross-attention [T, S] (head average; per head in ``head_scores``). No extra passes."""
    return Stopwatch(scorer).finish("attention", generation, generation.attention.copy(),
                                    {"heads": None if generation.head_attention is None else generation.head_attention.shape[0]},
                                    head_scores=None if generation.head_attention is None else generation.head_attention.copy())

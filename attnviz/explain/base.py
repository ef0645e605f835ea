"""What every explainer shares: the result type and the teacher-forced target function.

Every method explains the same function. Row t's target is f_t(g) = log P(summary token t | source,
summary prefix), the generated summary held fixed (teacher forcing), as a function of the presence
gates g ∈ [0, 1]^S of the source tokens (see ``attnviz.models.pointer.seq2seq``): an absent token (g = 0) is read
by the encoder as the model's mask embedding, gets no attention and cannot be copied. Perturbation
methods evaluate f_t on binary presence; Integrated Gradients integrates ∂f_t/∂g along g = α·1 from
"all absent" to "all present". So IG, KernelSHAP and Partition SHAP rows all sum to f_t(1) − f_t(0).
Shapes: N perturbations, S source tokens, T summary tokens, E embedding size.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from attnviz.models.scorer import Scorer
from attnviz.types import Attribution

DEFAULT_MEMORY_BUDGET_MB = 512


class Stopwatch:
    """Seconds and pass counts spent by one method on a scorer."""

    def __init__(self, scorer: Scorer) -> None:
        self.scorer = scorer
        self.start = time.perf_counter()
        self.forward0, self.backward0 = scorer.forward_passes, scorer.backward_passes

    def finish(self, method: str, scores: np.ndarray, params: dict[str, Any],
               checks: dict[str, Any] | None = None, head_scores: np.ndarray | None = None) -> Attribution:
        generation = self.scorer.generation
        return Attribution(method=method, source_tokens=list(generation.source_tokens),
                           summary_tokens=list(generation.summary_tokens), scores=np.asarray(scores, dtype=np.float64),
                           seconds=time.perf_counter() - self.start,
                           forward_passes=self.scorer.forward_passes - self.forward0,
                           backward_passes=self.scorer.backward_passes - self.backward0,
                           params=params, checks=checks or {}, head_scores=head_scores)

"""The model seam: what the page, the command line and the explainers see of any model family.

A family (``attnviz.models.pointer``, ``attnviz.models.hf``) implements ``SummaryModel`` once; shared code
imports this module, never a family. What only some models can do is asked of the model (its
``encoder_layers``, ``replaces_attention``), never found from its class.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Protocol

import numpy as np
import torch

from attnviz.errors import InputError
from attnviz.measures import Counterfactual
from attnviz.models.scorer import DEFAULT_MEMORY_BUDGET_MB, Scorer
from attnviz.types import Generation

MAX_SOURCE_TOKENS = 5000           # the ceiling of any source limit (a model's config, the CLI, the page)


@dataclass(frozen=True)
class DecodingSettings:
    """How to search. beam_size 1 is greedy search."""

    beam_size: int = 4
    max_len: int = 20              # summary tokens, end token not counted
    min_len: int = 6               # the end token is banned before this many tokens
    length_penalty: float = 1.0    # alpha: the pointer-generator's beam ranks GNMT's score / ((5 + len) / 6) ** alpha,
                                   # a Hugging Face model's generate() its own score / len ** alpha
    no_repeat_ngram: int = 2       # ban any n-gram from occurring twice (0 = off)
    block_adjacent_repeat: bool = True  # ban a token right after itself

    def __post_init__(self) -> None:
        if not 1 <= self.beam_size <= 32:
            raise InputError(f"beam size must be between 1 and 32, not {self.beam_size}")
        if not 1 <= self.max_len <= 200:
            raise InputError(f"maximum length must be between 1 and 200 tokens, not {self.max_len}")
        if not 0 <= self.min_len <= self.max_len:
            raise InputError(f"minimum length must be between 0 and the maximum length ({self.max_len}), not {self.min_len}")
        if self.no_repeat_ngram < 0 or self.no_repeat_ngram == 1:
            raise InputError("no_repeat_ngram must be 0 (off) or at least 2")
        if not 0.0 <= self.length_penalty <= 5.0:
            raise InputError(f"length penalty must be between 0 and 5, not {self.length_penalty}")

    def to_dict(self) -> dict:
        return asdict(self)


def pick_device(name: str = "auto") -> torch.device:
    """'auto' → cuda when available, else cpu; 'cuda' without a GPU is an InputError."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError("device 'cuda' was asked for but no GPU is available; use 'auto' or 'cpu'")
    if name not in ("cpu", "cuda"):
        raise InputError(f"unknown device {name!r}; valid choices: auto, cpu, cuda")
    return torch.device(name)


def check_source_limit(limit: object, ceiling: int, name: str = "") -> int:
    """``limit`` if it is an integer from 1 to ``ceiling``; InputError saying so otherwise."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= ceiling:
        model = f" for {name}" if name else ""
        raise InputError(f"the source limit must be from 1 to {ceiling:,} tokens{model}, not {limit!r}")
    return limit


class SummaryModel(Protocol):
    """The model seam the page and the CLI see. A model family implements it once: read a text, generate
    a summary with its attention (``Generation``), force a given summary, and build the ``Scorer`` that the
    explainers run on (teacher-forced log-probabilities under a presence mask)."""

    name: str
    max_source_tokens: int
    source_ceiling: int              # the largest source limit the model accepts

    @property
    def device(self) -> torch.device: ...

    def limited(self, max_source_tokens: int) -> SummaryModel:
        """The same loaded model (shared, not copied) reading at most ``max_source_tokens``."""

    @property
    def encoder_layers(self) -> int:
        """Self-attention layers of the encoder (0: none, e.g. a recurrent encoder)."""

    def encoder_attention(self, generation: Generation, layer: int) -> np.ndarray:
        """The encoder's self-attention in ``layer`` over the source tokens [H, S, S]."""

    replaces_attention: bool         # whether it can re-score a summary with its cross-attention replaced

    def counterfactual_attention(self, generation: Generation, *, k: int = 3, seed: int = 0) -> Counterfactual:
        """The summary re-scored with each step's attention uniform, permuted, or without its ``k`` most attended
        tokens (``attnviz.types.Counterfactual``); InputError where ``replaces_attention`` is False."""

    def summarize(self, text: str, settings: DecodingSettings | None = None) -> Generation: ...

    def force(self, text: str, summary: str) -> Generation: ...

    def scorer(self, generation: Generation, *, memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB) -> Scorer: ...

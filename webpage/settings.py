"""The sidebar's values (``PageSettings``) and the page's fixed limits."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from attnviz.features import Features, make_features
from attnviz.models.base import DecodingSettings
from attnviz.types import Generation

DEFAULT_METHODS = ["integrated_gradients", "occlusion"]
PAGE_MAX_SOURCE_TOKENS = 2000   # one click's attributions stay within minutes on a 2-core CPU
PATHS_ENV = "ATTNVIZ_MODEL_PATHS"   # "0": the sidebar offers only named models, no folder field
WINDOW_ABOVE = 80           # longer sources get a window of heatmap rows (one readable label per source token)
NO_COMPARISON = "(none)"
ModelKey = tuple[str, str, int]   # (model name, device, source token limit)


@dataclass(frozen=True)
class PageSettings:
    """The sidebar: the model, decoding, methods (registry order) with their full parameters, display."""

    model: str
    device: str
    max_source_tokens: int
    decoding: DecodingSettings
    methods: tuple[str, ...]
    params: dict[str, dict[str, Any]]
    seed: int
    normalisation: str
    sign: str
    compare: str | None = None          # a second model shown side by side
    granularity: str = "tokens"         # what the methods explain: tokens, sentences or spans
    span_starts: tuple[int, ...] = ()   # where spans begin (granularity "spans")
    inside: int | None = None           # looking into the tokens of this sentence or span
    pointer_split: bool = False         # attention's copy and generate shares shown and measured as methods
    seeds: int = 1                      # seeds per sampling method (> 1: their stability is measured)

    @property
    def model_key(self) -> ModelKey:
        return self.model, self.device, self.max_source_tokens

    @property
    def features_key(self) -> tuple:
        return self.granularity, self.span_starts, self.inside

    def features(self, text: str, generation: Generation) -> Features | None:
        """The features the methods explain on this summary (None: tokens); InputError for spans that do
        not fit the source."""
        return make_features(generation, self.granularity, text=text, starts=self.span_starts, inside=self.inside)

    def tokens(self) -> PageSettings:
        """These settings explaining tokens (no sentences or spans)."""
        return replace(self, granularity="tokens", span_starts=(), inside=None)

    def params_key(self, method: str) -> tuple[tuple[str, Any], ...]:
        return tuple(sorted(self.params.get(method, {}).items()))

"""One run's request: the sidebar's settings, the submitted text, its summary and the features the methods
explain, built once per run and handed down to the fill step and the views."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from attnviz.errors import AttnvizError
from attnviz.explain.cost import estimate
from attnviz.features import Features
from attnviz.models.scorer import Scorer
from attnviz.pipeline import features_scorer
from attnviz.types import Generation
from webpage.services import load_summarizer, pass_seconds, summarize
from webpage.settings import PageSettings


@dataclass(frozen=True)
class Request:
    """What every result of this run depends on; ``features`` None: the methods explain tokens."""

    settings: PageSettings
    text: str
    generation: Generation
    features: Features | None = None

    def key(self, what: tuple) -> str:
        """A result's key: the model, text, decoding, features and ``what``, hashed (texts can be long)."""
        cfg = self.settings
        return hashlib.sha1(repr((cfg.model_key, self.text, cfg.decoding, cfg.features_key, what)).encode("utf-8")
                            ).hexdigest()

    def method_key(self, method: str) -> str:
        """The key of ``method``'s attribution (with its parameters) on this request."""
        return self.key(((method, self.settings.params_key(method)),))

    def scorer(self) -> Scorer:
        """The model's scorer of this summary, on the features where there are some."""
        return features_scorer(load_summarizer(*self.settings.model_key), self.generation, self.features)

    def costs(self, methods: list[str]) -> list:
        """The cost of each method on this input, from one timed forward and backward batch (cached per text)."""
        cfg = self.settings
        per_forward, per_backward = pass_seconds(cfg.model_key, self.text, cfg.decoding)
        units = len(self.generation.source_tokens) if self.features is None else self.features.count
        return estimate(methods, cfg.params, units, len(self.generation.summary_tokens), per_forward, per_backward)


def build_request(cfg: PageSettings, text: str) -> tuple[Request, str | None]:
    """The request for ``text`` (summarized now, or found in the cache) → (it, why its spans fell back to
    tokens, or None)."""
    generation = summarize(cfg.model_key, text, cfg.decoding)
    try:
        return Request(cfg, text, generation, cfg.features(text, generation)), None
    except AttnvizError as exc:                       # spans that do not fit this source: tokens meanwhile
        return Request(cfg.tokens(), text, generation), f"{exc}; explaining tokens until it is fixed."


def tokens_request(cfg: PageSettings, text: str) -> Request:
    """The request for ``text`` explaining tokens (the side-by-side columns compare tokens)."""
    cfg = cfg.tokens()
    return Request(cfg, text, summarize(cfg.model_key, text, cfg.decoding))

"""The pointer-generator as a ``SummaryModel``: load a checkpoint, encode a text, search, package a Generation."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from attnviz.errors import InputError
from attnviz.measures import Counterfactual
from attnviz.models.base import DecodingSettings, check_source_limit, pick_device
from attnviz.models.folders import model_path
from attnviz.models.pointer.checkpoint import load_checkpoint
from attnviz.models.pointer.counterfactual import (
    DEFAULT_TOP_K,
    counterfactual_attention,
)
from attnviz.models.pointer.scorer import PointerScorer
from attnviz.models.pointer.search import Hypothesis, search
from attnviz.models.pointer.seq2seq import PointerGenerator
from attnviz.models.pointer.vocabulary import EncodedSource, Vocabulary
from attnviz.models.scorer import DEFAULT_MEMORY_BUDGET_MB
from attnviz.textfile import MAX_TEXT_CHARS, check_visible
from attnviz.types import Generation
from attnviz.words import detokenize


class PointerSummarizer:
    """The pointer-generator's ``SummaryModel``: a loaded model with its vocabulary; turns text into
    Generations and Generations into Scorers."""

    def __init__(self, model: PointerGenerator, vocab: Vocabulary, *, name: str = "", metadata: dict | None = None,
                 max_source_tokens: int | None = None) -> None:
        """``max_source_tokens`` overrides the model's source limit (longer inputs are cut to it)."""
        self.model, self.vocab, self.name = model.eval().bind_vocabulary(vocab.words), vocab, name
        self.metadata = metadata or {}
        self.source_ceiling = model.config.source_ceiling
        self.max_source_tokens = check_source_limit(
            model.config.max_source_tokens if max_source_tokens is None else max_source_tokens, self.source_ceiling)

    @property
    def encoder_layers(self) -> int:
        """Self-attention layers of the encoder (MiniLM's 6; none for the recurrent one)."""
        return 6 if self.model.config.encoder == "minilm" else 0

    def encoder_attention(self, generation: Generation, layer: int) -> np.ndarray:
        """The MiniLM encoder's self-attention among the source words in ``layer`` → [H, S, S]."""
        if not self.encoder_layers:
            raise InputError("this model's encoder is recurrent: it has no self-attention")
        if not 0 <= layer < self.encoder_layers:
            raise InputError(f"encoder layer {layer} does not exist: this encoder has {self.encoder_layers}")
        ids = torch.as_tensor(generation.source_ids, device=self.device).unsqueeze(0)
        return self.model.encoder_self_attention(ids, layer).cpu().numpy().astype(np.float64)

    replaces_attention = True        # one attention module reads the source: it can be overridden

    def counterfactual_attention(self, generation: Generation, *, k: int = DEFAULT_TOP_K, seed: int = 0) -> Counterfactual:
        """``attnviz.models.pointer.counterfactual`` on ``generation``'s summary (one teacher-forced pass)."""
        return counterfactual_attention(self.scorer(generation), k=k, seed=seed)

    def limited(self, max_source_tokens: int) -> PointerSummarizer:
        """The same model reading at most ``max_source_tokens``."""
        return PointerSummarizer(self.model, self.vocab, name=self.name, metadata=self.metadata,
                          max_source_tokens=max_source_tokens)

    @classmethod
    def from_checkpoint(cls, path: Path | str | None = None, *, device: str = "auto",
                        max_source_tokens: int | None = None) -> PointerSummarizer:
        """Load ``path`` (a folder, or a name under pretrained/; default: the shipped model)."""
        path = model_path(path)
        model, vocab, metadata = load_checkpoint(path, pick_device(device))
        return cls(model, vocab, name=path.name, metadata=metadata, max_source_tokens=max_source_tokens)

    @property
    def device(self) -> torch.device:
        return self.model.device

    def encode(self, text: str) -> EncodedSource:
        """Validate and tokenize a source text (cut to the model's source limit)."""
        if not isinstance(text, str):
            raise InputError("the text must be a string")
        if len(text) > MAX_TEXT_CHARS:
            raise InputError(f"the text has {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}")
        check_visible(text)
        source = self.vocab.encode_source(text, max_tokens=self.max_source_tokens)
        if not source.tokens:
            raise InputError("the text is empty: paste or type some words to summarize")
        return source

    def source_tensors(self, source: EncodedSource) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """ids, ext_ids [1, S] long and mask [1, S] bool on the model's device."""
        ids = torch.tensor([source.ids], device=self.device)
        ext = torch.tensor([source.ext_ids], device=self.device)
        return ids, ext, torch.ones_like(ids, dtype=torch.bool)

    def summarize(self, text: str, settings: DecodingSettings | None = None) -> Generation:
        """Generate a summary of ``text`` with its attention, log-probs and p_gen."""
        source = self.encode(text)
        # A summary need not be longer than a very short source.
        settings = settings or DecodingSettings()
        settings = replace(settings, min_len=min(settings.min_len, len(source.tokens)))
        with torch.no_grad():
            enc, state = self.model.encode(*self.source_tensors(source))
            hyp = search(self.model, enc, state, settings)
        return self._generation(source, hyp, settings)

    def force(self, text: str, summary: str) -> Generation:
        """A Generation of a given ``summary`` (e.g. a reference headline), teacher-forced: its attention,
        log-probs and generate shares are what the model gives that summary, so it can be explained
        like a generated one. Summary words the model cannot write (out of vocabulary and not in the
        source) are scored as <unk>."""
        source = self.encode(text)
        ids = self.vocab.encode_target(summary, source, max_tokens=self.model.config.max_summary_tokens)
        if not ids:
            raise InputError("the summary is empty: there is nothing to explain")
        with torch.no_grad():
            out = self.model(*self.source_tensors(source), torch.tensor([ids], device=self.device))
        hyp = Hypothesis(ids=ids, attention=out.attention[0], heads=None if out.heads is None else out.heads[0],
                         token_logprobs=out.target_logprobs[0], p_gen=None if out.p_gen is None else out.p_gen[0],
                         score=float(out.target_logprobs[0].sum()))
        return self._generation(source, hyp, None)

    def scorer(self, generation: Generation, *, memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB) -> PointerScorer:
        """The explainers' view of ``generation``: its summary teacher-forced under perturbed sources."""
        return PointerScorer(self.model, generation, memory_budget_mb=memory_budget_mb)

    def _display_tokens(self, ids: list[int], attention: np.ndarray, source: EncodedSource) -> list[str]:
        """Each summary token in the casing of its most-attended occurrence in the source, if any."""
        tokens = []
        lowered = [t.lower() for t in source.tokens]
        for t, ext_id in enumerate(ids):
            word = self.vocab.token_of(ext_id, source).lower()
            positions = [j for j, w in enumerate(lowered) if w == word]
            tokens.append(source.tokens[max(positions, key=lambda j: attention[t, j])] if positions else word)
        return tokens

    def _generation(self, source: EncodedSource, hyp: Hypothesis, settings: DecodingSettings | None) -> Generation:
        """``settings`` None: the summary was given (teacher-forced), not searched."""
        attention = hyp.attention.float().cpu().numpy()
        tokens = self._display_tokens(hyp.ids, attention, source)
        summary = detokenize(tokens)
        return Generation(
            source_tokens=list(source.tokens),
            summary_tokens=tokens,
            summary=summary[:1].upper() + summary[1:],
            source_ids=np.asarray(source.ids, dtype=np.int64),
            source_ext_ids=np.asarray(source.ext_ids, dtype=np.int64),
            summary_ids=np.asarray(hyp.ids, dtype=np.int64),
            attention=attention,
            token_logprobs=hyp.token_logprobs.float().cpu().numpy(),
            p_gen=None if hyp.p_gen is None else hyp.p_gen.float().cpu().numpy(),
            layer_attention=None if hyp.heads is None else hyp.heads.float().cpu().numpy()[None],   # one layer
            source_oovs=list(source.oovs),
            truncated_from=source.truncated_from,
            score=hyp.score,
            settings={"model": self.name, "device": str(self.device),
                      **(settings.to_dict() if settings is not None else {"forced_summary": True})},
        )

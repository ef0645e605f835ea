"""A Hugging Face encoder-decoder (BART, mBART, T5, Marian, Pegasus) as a ``SummaryModel``: text in, a
``Generation`` with cross-attention per layer and head out, and the ``TransformersScorer`` the explainers use.

Source tokens are the tokenizer's subword pieces without its special tokens; ``Generation.source_words``
groups them into words. The summary is searched with ``model.generate`` (the folder's generation config,
overridden by the given ``DecodingSettings``), then run once teacher-forced: that pass gives each summary
token's log-probability and the cross-attention [L, H, T, S] the decoder had when it predicted the token.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from attnviz.errors import CheckpointError, InputError
from attnviz.measures import Counterfactual
from attnviz.models.base import (
    MAX_SOURCE_TOKENS,
    DecodingSettings,
    check_source_limit,
    pick_device,
)
from attnviz.models.hf.folder import load_folder
from attnviz.models.hf.scorer import TransformersScorer
from attnviz.models.scorer import DEFAULT_MEMORY_BUDGET_MB
from attnviz.textfile import MAX_TEXT_CHARS, check_visible
from attnviz.types import Generation

DEFAULT_SOURCE_TOKENS = 512
MAX_SUMMARY_TOKENS = 200          # DecodingSettings.max_len's ceiling, and the longest summary force() reads


@dataclass(frozen=True)
class EncodedPieces:
    """A source as the model reads it: piece ids [S] (no special tokens, cut to the limit), the word of each
    piece [S], each word's text as written [W], and the piece count before the cut."""

    ids: list[int]
    words: list[int]
    word_texts: list[str]
    total: int


class TransformersSummarizer:
    """A loaded Hugging Face encoder-decoder with its tokenizer (see the module docstring)."""

    def __init__(self, model: Any, tokenizer: Any, *, name: str, max_source_tokens: int | None = None,
                 metadata: dict | None = None) -> None:
        self.model, self.tokenizer, self.name = model.eval(), tokenizer, name
        self.metadata = metadata or {}
        self.config = model.config
        self.vocabulary = int(model.get_input_embeddings().num_embeddings)
        self.before, self.after = self._special_tokens()
        generation = model.generation_config
        start = generation.decoder_start_token_id
        if start is None:
            start = self.config.decoder_start_token_id
        if start is None:
            raise CheckpointError(f"{name}: the config gives no decoder_start_token_id")
        self.prefix = [int(start)] + ([int(generation.forced_bos_token_id)]
                                      if generation.forced_bos_token_id is not None else [])
        self.positions: int | None = getattr(self.config, "max_position_embeddings", None)   # None: relative (T5)
        self.source_ceiling = min(MAX_SOURCE_TOKENS,
                                  (self.positions or MAX_SOURCE_TOKENS) - len(self.before) - len(self.after))
        self.summary_ceiling = MAX_SUMMARY_TOKENS if self.positions is None else \
            min(MAX_SUMMARY_TOKENS, self.positions - len(self.prefix))
        folder = self.metadata.get("folder", name)
        for what, room, needed in (("a source text", self.source_ceiling, self.before + self.after),
                                   ("a summary", self.summary_ceiling, self.prefix)):
            if room < 1:
                raise CheckpointError(f"{Path(folder) / 'config.json'}: max_position_embeddings ({self.positions:,}) "
                                      f"leaves no room for {what} after the {len(needed)} tokens the model puts "
                                      "around it")
        self.max_source_tokens = check_source_limit(
            min(DEFAULT_SOURCE_TOKENS, self.source_ceiling) if max_source_tokens is None else max_source_tokens,
            self.source_ceiling, name)
        self.eos_ids = set(_as_list(generation.eos_token_id) or [tokenizer.eos_token_id]) - {None}
        self.mask_id = next(i for i in (tokenizer.mask_token_id, tokenizer.pad_token_id, tokenizer.unk_token_id, 0)
                            if i is not None and 0 <= i < self.vocabulary)      # bart-large-cnn's <mask> is not
        self.embed_scale = self._embed_scale()

    @classmethod
    def from_folder(cls, folder: Path | str, *, device: str = "auto",
                    max_source_tokens: int | None = None) -> TransformersSummarizer:
        folder = Path(folder)
        model, tokenizer, config = load_folder(folder, pick_device(device))
        return cls(model, tokenizer, name=folder.name, max_source_tokens=max_source_tokens,
                   metadata={"family": config.get("model_type"), "folder": str(folder)})

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def limited(self, max_source_tokens: int) -> TransformersSummarizer:
        """The same model reading at most ``max_source_tokens``."""
        other = copy.copy(self)
        other.max_source_tokens = check_source_limit(max_source_tokens, self.source_ceiling, self.name)
        return other

    def _special_tokens(self) -> tuple[list[int], list[int]]:
        """The special token ids the tokenizer puts before and after a text's own tokens."""
        plain = self.tokenizer("a b", add_special_tokens=False).input_ids
        full = self.tokenizer("a b").input_ids
        for i in range(len(full) - len(plain) + 1):
            if full[i:i + len(plain)] == plain:
                return full[:i], full[i + len(plain):]
        raise CheckpointError(f"{self.name}: the tokenizer's special tokens do not surround the text")

    @torch.no_grad()
    def _embed_scale(self) -> float:
        """The factor the encoder applies to its token embeddings (found by reproducing a forward pass: BART
        scales inside the embedding, Marian and Pegasus after it, T5 not at all)."""
        encoder = self.model.get_encoder()
        ids = torch.tensor([self.before + self.tokenizer("a b c", add_special_tokens=False).input_ids + self.after],
                           device=self.device)
        expected = encoder(input_ids=ids).last_hidden_state
        scale = getattr(encoder, "embed_scale", None)
        candidates = [1.0] + ([float(scale)] if isinstance(scale, (int, float)) else [])
        for scale in candidates:
            got = encoder(inputs_embeds=encoder.embed_tokens(ids) * scale).last_hidden_state
            if torch.allclose(got, expected, atol=1e-5, rtol=1e-4):
                return scale
        raise CheckpointError(f"{self.name}: attnviz cannot reproduce this encoder's input embedding, so it cannot "
                              "remove tokens from it")

    def encode(self, text: str) -> EncodedPieces:
        """The source's pieces without special tokens, cut to the limit, with the word of each and the words'
        text as written (from the tokenizer's character offsets; by decoding where it has none)."""
        if not isinstance(text, str):
            raise InputError("the text must be a string")
        if len(text) > MAX_TEXT_CHARS:
            raise InputError(f"the text has {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}")
        check_visible(text)
        encoding = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=self.tokenizer.is_fast)
        ids = list(encoding.input_ids)
        if not ids:
            raise InputError("the text is empty: paste or type some words to summarize")
        self._check_in_vocabulary(ids, "text")
        try:
            words = [w for w in encoding.word_ids()]
        except (AttributeError, ValueError):
            words = list(range(len(ids)))
        if any(w is None for w in words) or words != sorted(words):
            words = list(range(len(ids)))
        words = [w - words[0] for w in words][:self.max_source_tokens]
        kept = ids[:self.max_source_tokens]
        offsets = encoding.get("offset_mapping")
        pieces: dict[int, list[int]] = {}                   # word → its pieces' positions
        for j, word in enumerate(words):
            pieces.setdefault(word, []).append(j)
        texts = []
        for w in range(words[-1] + 1):
            first, last = pieces[w][0], pieces[w][-1]
            written = text[offsets[first][0]:offsets[last][1]].strip() if offsets else ""
            texts.append(written or self.tokenizer.decode([kept[j] for j in pieces[w]]).strip())
        return EncodedPieces(kept, words, texts, len(ids))

    def _check_in_vocabulary(self, ids: list[int], what: str) -> None:
        """InputError when the tokenizer made a token the model's vocabulary lacks (a special token such as
        bart-large-cnn's "<mask>", written in the text)."""
        outside = next((i for i in ids if not 0 <= i < self.vocabulary), None)
        if outside is not None:
            token = self.tokenizer.convert_ids_to_tokens(outside)
            raise InputError(f"the {what} contains {token!r}, a token of the tokenizer that {self.name}'s vocabulary "
                             f"({self.vocabulary:,} tokens) lacks; remove it")

    def summarize(self, text: str, settings: DecodingSettings | None = None) -> Generation:
        """Generate a summary of ``text`` (beam or greedy search), with its attention and log-probs."""
        source = self.encode(text)
        settings = settings or DecodingSettings()
        if settings.max_len > self.summary_ceiling:
            raise InputError(f"{self.name} writes at most {self.summary_ceiling} summary tokens (its config.json's "
                             f"max_position_embeddings is {self.positions:,}), so the maximum length must be at most "
                             f"{self.summary_ceiling}, not {settings.max_len}")
        extra = len(self.prefix) - 1                                    # a forced first token is not summary
        inputs = torch.tensor([self.before + source.ids + self.after], device=self.device)
        with torch.no_grad():
            out = self.model.generate(input_ids=inputs, attention_mask=torch.ones_like(inputs), do_sample=False,
                                      num_beams=settings.beam_size, max_new_tokens=settings.max_len + extra + 1,
                                      min_new_tokens=settings.min_len + extra, length_penalty=settings.length_penalty,
                                      no_repeat_ngram_size=settings.no_repeat_ngram, num_return_sequences=1)
        sequence = out[0].tolist()
        prefix = self.prefix if sequence[:len(self.prefix)] == self.prefix else sequence[:1]
        summary = []                                     # one more new token than max_len: room for </s>,
        for token in sequence[len(prefix):][:settings.max_len]:     # which some configs force at the end
            if token in self.eos_ids:                                  # beams that ended early are padded after it
                break
            summary.append(token)
        return self._generation(source, summary, prefix, settings.to_dict())

    def force(self, text: str, summary: str, *, decoder_prefix: list[int] | None = None) -> Generation:
        """A Generation of a given ``summary``, teacher-forced (see ``PointerSummarizer.force``); ``decoder_prefix``
        replaces the model's own decoder start (and forced first token), e.g. to match another tool's."""
        source = self.encode(text)
        targets = self.tokenizer(text_target=summary, add_special_tokens=False).input_ids[:MAX_SUMMARY_TOKENS]
        if not targets:
            raise InputError("the summary is empty: there is nothing to explain")
        self._check_in_vocabulary(targets, "summary")
        if len(targets) > self.summary_ceiling:
            raise InputError(f"the summary has {len(targets)} tokens; {self.name} reads at most {self.summary_ceiling} "
                             f"(its config.json's max_position_embeddings is {self.positions:,})")
        return self._generation(source, targets, list(decoder_prefix or self.prefix), {"forced_summary": True})

    def scorer(self, generation: Generation, *, memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB) -> TransformersScorer:
        """The explainers' view of ``generation``: its summary teacher-forced under perturbed sources."""
        return TransformersScorer(self.model, generation, before=self.before, after=self.after,
                                  prefix=generation.settings.get("decoder_prefix", self.prefix), mask_id=self.mask_id,
                                  embed_scale=self.embed_scale, memory_budget_mb=memory_budget_mb)

    replaces_attention = False       # its cross-attention lives inside every decoder layer

    def counterfactual_attention(self, generation: Generation, *, k: int = 3, seed: int = 0) -> Counterfactual:
        """Not offered: InputError saying why."""
        raise InputError("counterfactual attention needs a pointer-generator model (attnviz checkpoint); a Hugging "
                         "Face model's cross-attention lives inside every decoder layer")

    @property
    def encoder_layers(self) -> int:
        """How many self-attention layers the encoder has."""
        return len(self.model.get_encoder().layers if hasattr(self.model.get_encoder(), "layers")
                   else self.model.get_encoder().block)

    @torch.no_grad()
    def encoder_attention(self, generation: Generation, layer: int) -> np.ndarray:
        """The encoder's self-attention in ``layer`` over the source tokens → [H, S, S] (row i: what token i
        reads; rows sum to 1 − the special tokens' share)."""
        if not 0 <= layer < self.encoder_layers:
            raise InputError(f"layer {layer} does not exist: the encoder has {self.encoder_layers}")
        source = torch.tensor([self.before + list(generation.source_ids) + self.after], device=self.device)
        out = self.model.get_encoder()(input_ids=source, output_attentions=True)
        span = slice(len(self.before), len(self.before) + len(generation.source_ids))
        return out.attentions[layer][0, :, span, span].float().cpu().numpy().astype(np.float64)

    @torch.no_grad()
    def _forced(self, ids: list[int], prefix: list[int], targets: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """One teacher-forced pass → (cross-attention [L, H, T, S] on the source tokens, log-probs [T])."""
        source = torch.tensor([self.before + ids + self.after], device=self.device)
        decoder = torch.tensor([prefix + targets[:-1]], device=self.device)
        out = self.model(input_ids=source, decoder_input_ids=decoder, output_attentions=True)
        rows = slice(len(prefix) - 1, len(prefix) - 1 + len(targets))
        columns = slice(len(self.before), len(self.before) + len(ids))
        attention = torch.stack([a[0, :, rows, columns] for a in out.cross_attentions])             # (L, H, T, S)
        logprobs = out.logits[0, rows].float().log_softmax(-1).gather(-1, torch.tensor(targets, device=self.device)
                                                                      .unsqueeze(-1)).squeeze(-1)
        return attention.float().cpu().numpy().astype(np.float64), logprobs.cpu().numpy().astype(np.float64)

    def _generation(self, source: EncodedPieces, targets: list[int], prefix: list[int],
                    settings: dict[str, Any]) -> Generation:
        ids = source.ids
        if targets:
            layers, logprobs = self._forced(ids, prefix, targets)
        else:
            layers, logprobs = np.zeros((1, 1, 0, len(ids))), np.zeros(0)
        return Generation(
            source_tokens=[self._piece(i) for i in ids],
            summary_tokens=[self._piece(i) for i in targets],
            summary=self.tokenizer.decode(targets, skip_special_tokens=True).strip(),
            source_ids=np.asarray(ids, dtype=np.int64), source_ext_ids=np.asarray(ids, dtype=np.int64),
            summary_ids=np.asarray(targets, dtype=np.int64),
            attention=layers.mean(axis=(0, 1)), token_logprobs=logprobs, p_gen=None,
            layer_attention=layers, source_words=source.words, word_texts=source.word_texts,
            truncated_from=source.total,
            score=float(logprobs.sum()),
            settings={"model": self.name, "device": str(self.device), **settings, "decoder_prefix": prefix})

    def _piece(self, token_id: int) -> str:
        """A subword piece as text: decoded alone and stripped (its raw form if that leaves nothing)."""
        text = self.tokenizer.decode([token_id]).strip()
        return text or self.tokenizer.convert_ids_to_tokens(token_id)


def _as_list(value: Any) -> list[int]:
    if value is None:
        return []
    return [int(v) for v in value] if isinstance(value, (list, tuple)) else [int(value)]

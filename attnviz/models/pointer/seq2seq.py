"""Pointer-generator (See et al., 2017): BiLSTM encoder, LSTM decoder, cross-attention, copy, coverage.
The encoder can instead be the frozen pretrained MiniLM-L6 (``encoder="minilm"``, ``attnviz.models.pointer.minilm``),
read through a trained projection; its start state then comes from the gate-weighted mean of the memory
and the null memory.

Removal is part of the model. Every source token has a presence gate g in [0, 1] (1 = present):
* the encoder reads g·e + (1 − g)·m, where m is one learned mask embedding (``mask_embedding``; MiniLM
  reads its own ``[MASK]`` embedding and gets log g on every self-attention key);
* attention weights are ∝ g · exp(logit), so an absent token gets weight 0 and cannot be copied;
* attention always has one more slot, a learned null memory (``null_memory``, as the sentinel of
  Merity et al. 2017), so a row is defined when every token is absent; weight put on it goes to the
  vocabulary distribution (it is part of the generate share).
Training removes random tokens this way, so absent tokens are in distribution for the explainers.

An out-of-vocabulary summary word can be written by copying it or as ``<unk>`` (what the vocabulary
side produces for a word it does not know), so its probability is copy + generate share · P(<unk>):
finite and defined by the model even when every source occurrence of the word is absent.

Shapes: B batch, S source length, T summary length, V vocabulary, X extended vocabulary
(V + the most OOV words of any source in the batch), E embedding, Hd hidden size.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from attnviz.errors import InputError
from attnviz.models.pointer.attention import make_attention
from attnviz.models.pointer.config import ModelConfig
from attnviz.models.pointer.minilm import WIDTH as MINILM_WIDTH
from attnviz.models.pointer.minilm import MiniLMReader
from attnviz.models.pointer.vocabulary import BOS_ID, PAD_ID, UNK_ID


@dataclass
class EncoderOutput:
    """What every decoder step reads: memory [B, S+1, 2Hd] and keys [B, S+1, K] (the S source positions,
    then the null slot), gate [B, S+1] (presence; 0 for padding, 1 for the null slot), ext_ids [B, S]."""

    memory: Tensor
    keys: Tensor
    gate: Tensor
    ext_ids: Tensor
    extended_size: int  # X

    @property
    def source_len(self) -> int:
        return self.ext_ids.shape[1]

    def select(self, index: Tensor) -> EncoderOutput:
        """Rows ``index`` [B'] (e.g. repeat one source for each beam)."""
        return replace(self, memory=self.memory[index], keys=self.keys[index],
                       gate=self.gate[index], ext_ids=self.ext_ids[index])


@dataclass
class DecoderState:
    """h, c [B, Hd]; context [B, 2Hd] (input feeding); coverage [B, S] or None."""

    h: Tensor
    c: Tensor
    context: Tensor
    coverage: Tensor | None

    def select(self, index: Tensor) -> DecoderState:
        """Rows ``index`` [B'] (beam back-pointers)."""
        cov = None if self.coverage is None else self.coverage[index]
        return DecoderState(self.h[index], self.c[index], self.context[index], cov)


@dataclass
class StepOutput:
    """One decoder step: log_probs [B, X], attention [B, S] (source positions; with the null slot's weight
    a row sums to 1), heads [B, H, S] | None, p_gen [B] | None (generate share, null slot included)."""

    log_probs: Tensor
    attention: Tensor
    heads: Tensor | None
    p_gen: Tensor | None
    state: DecoderState


@dataclass
class ForcedOutput:
    """Teacher forcing of given summaries: target_logprobs [B, T], attention [B, T, S],
    heads [B, H, T, S] | None, p_gen [B, T] | None, coverage_loss [B, T]."""

    target_logprobs: Tensor
    attention: Tensor
    heads: Tensor | None
    p_gen: Tensor | None
    coverage_loss: Tensor


class PointerGenerator(nn.Module):
    """Encoder-decoder with attention and an optional copy mechanism and coverage."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        v, e, hd = config.vocab_size, config.emb_dim, config.hidden_dim
        # The source has its own embedding module (weights shared with the target side) so that
        # attribution hooks on it never fire for decoder inputs.
        self.source_embedding = nn.Embedding(v, e, padding_idx=PAD_ID)
        self.target_embedding = nn.Embedding(v, e, padding_idx=PAD_ID)
        self.target_embedding.weight = self.source_embedding.weight
        self.mask_embedding = nn.Parameter(torch.randn(e) * 0.1)         # what the encoder reads for an absent token
        self.null_memory = nn.Parameter(torch.randn(2 * hd) * 0.1)       # the attention slot that is never absent
        self.reader: MiniLMReader | None = None                           # a pretrained encoder, once bound
        if config.encoder == "minilm":
            self.encoder_projection = nn.Linear(MINILM_WIDTH, 2 * hd)     # MiniLM's states → the memory
        else:
            self.encoder = nn.LSTM(e, hd, batch_first=True, bidirectional=True)
        self.reduce_h = nn.Linear(2 * hd, hd)
        self.reduce_c = nn.Linear(2 * hd, hd)
        self.decoder_cell = nn.LSTMCell(e + 2 * hd, hd)
        self.attention = make_attention(config)
        self.out_hidden = nn.Linear(3 * hd, hd)
        if config.tie_embeddings:
            self.out_to_embedding = nn.Linear(hd, e)
            self.out_bias = nn.Parameter(torch.zeros(v))
        else:
            self.out_vocab = nn.Linear(hd, v)
        self.p_gen_layer = nn.Linear(3 * hd + e, 1) if config.pointer else None
        self.dropout = nn.Dropout(config.dropout)

    @property
    def device(self) -> torch.device:
        return self.source_embedding.weight.device

    def bind_vocabulary(self, words: list[str]) -> PointerGenerator:
        """A MiniLM encoder reads words through their pieces: give it the vocabulary (a no-op for the
        recurrent encoder). The frozen encoder is loaded here, from its package, and is not a weight of this
        module."""
        if self.config.encoder == "minilm" and self.reader is None:
            if len(words) != self.config.vocab_size:
                raise ValueError(f"the vocabulary has {len(words)} words, the model {self.config.vocab_size}")
            self.reader = MiniLMReader(words)
        return self

    def embed_source(self, ids: Tensor) -> Tensor:
        """ids [B, S] → what the encoder reads for each source token [B, S, E] (MiniLM: [B, S, 384])."""
        if self.config.encoder == "minilm":
            return self._minilm().embed(ids)
        return self.source_embedding(ids)

    def _minilm(self) -> MiniLMReader:
        if self.reader is None:
            raise RuntimeError("a MiniLM pointer-generator needs bind_vocabulary(words) before it runs")
        return self.reader

    def encoder_self_attention(self, ids: Tensor, layer: int) -> Tensor:
        """ids [1, S] → the MiniLM encoder's self-attention in ``layer`` among the words [H, S, S]."""
        with torch.no_grad():
            return self._minilm().self_attention(self.embed_source(ids), torch.ones_like(ids, dtype=torch.float32),
                                                 layer)

    # ----------------------------------------------------------------- encoder
    def encode_embedded(self, embedded: Tensor, ext_ids: Tensor, mask: Tensor,
                        presence: Tensor | None = None) -> tuple[EncoderOutput, DecoderState]:
        """embedded [B, S, E] (already looked up), ext_ids [B, S], mask [B, S] bool (False = padding),
        presence [B, S] in [0, 1] (None = every token present) → memory and start state."""
        lengths = mask.sum(dim=1)
        if bool((lengths == 0).any()):
            raise InputError("a source text has no tokens")
        gate = mask.to(embedded.dtype) if presence is None else presence.to(embedded.dtype) * mask
        bridge = torch.tanh if self.config.bridge_activation == "tanh" else torch.relu
        if self.config.encoder == "minilm":
            memory, start = self._minilm_memory(embedded, gate)
            h, c = bridge(self.reduce_h(start)), bridge(self.reduce_c(start))        # (B, Hd)
        else:
            memory, (h, c) = self._recurrent_memory(embedded, gate, mask, lengths)
            h = bridge(self.reduce_h(torch.cat([h[0], h[1]], dim=-1)))   # (B, Hd)
            c = bridge(self.reduce_c(torch.cat([c[0], c[1]], dim=-1)))
        n_oov = int(ext_ids.max().item()) + 1 - self.config.vocab_size
        extended = self.config.vocab_size + max(n_oov, 0)
        b = memory.shape[0]
        memory = torch.cat([memory, self.null_memory.expand(b, 1, -1)], dim=1)   # (B, S+1, 2Hd)
        gate = torch.cat([gate, gate.new_ones(b, 1)], dim=1)                    # (B, S+1)
        enc = EncoderOutput(memory, self.attention.prepare(memory), gate, ext_ids, extended)
        coverage = torch.zeros_like(ext_ids, dtype=memory.dtype) if self.config.coverage else None
        return enc, DecoderState(h, c, memory.new_zeros(b, memory.shape[2]), coverage)

    def _recurrent_memory(self, embedded: Tensor, gate: Tensor, mask: Tensor, lengths: Tensor):
        """The BiLSTM over g·e + (1 − g)·m → memory [B, S, 2Hd] and its final (h, c), each [2, B, Hd]."""
        g = gate.unsqueeze(-1)                                            # (B, S, 1)
        x = self.dropout(g * embedded + (1 - g) * self.mask_embedding)    # absent tokens read the mask embedding
        if bool((lengths == mask.shape[1]).all()):
            return self.encoder(x)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, state = self.encoder(packed)
        return pad_packed_sequence(out, batch_first=True, total_length=mask.shape[1])[0], state

    def _minilm_memory(self, embedded: Tensor, gate: Tensor) -> tuple[Tensor, Tensor]:
        """MiniLM under the gates, projected → memory [B, S, 2Hd] and the start-state input [B, 2Hd]: the
        gate-weighted mean of the memory with the null memory as one more, always present, member (continuous
        down to every word absent)."""
        memory = self.dropout(self.encoder_projection(self._minilm().encode(embedded, gate)))
        weights = gate.unsqueeze(-1)                                      # (B, S, 1)
        start = ((weights * memory).sum(dim=1) + self.null_memory) / (weights.sum(dim=1) + 1)
        return memory, start

    def encode(self, ids: Tensor, ext_ids: Tensor, mask: Tensor,
               presence: Tensor | None = None) -> tuple[EncoderOutput, DecoderState]:
        """ids, ext_ids [B, S] long, mask [B, S] bool, presence [B, S] | None → memory and start state."""
        return self.encode_embedded(self.embed_source(ids), ext_ids, mask, presence)

    # ----------------------------------------------------------------- decoder
    def _decode_hidden(self, prev_ids: Tensor, state: DecoderState, enc: EncoderOutput):
        """One LSTM step and attention; the pieces both output paths need: the output hidden [B, Hd] (its
        vocabulary logits: ``_vocab_logits``), source attention [B, S], heads [B, H, S] | None, (generate
        share [B], copy rate [B]) | None (P(w) = generate · P_vocab(w) + copy rate · Σ_j attention_j
        [source_j = w]), the new state."""
        inp = prev_ids.masked_fill(prev_ids >= self.config.vocab_size, UNK_ID)
        emb = self.dropout(self.target_embedding(inp))                    # (B, E)
        h, c = self.decoder_cell(torch.cat([emb, state.context], dim=-1), (state.h, state.c))
        coverage = None if state.coverage is None else nn.functional.pad(state.coverage, (0, 1))  # null slot: 0
        context, weights, heads = self.attention(h, enc.memory, enc.keys, enc.gate, coverage)
        attn, null = weights[:, :-1], weights[:, -1]                      # (B, S), (B,)
        heads = None if heads is None else heads[..., :-1]
        hidden = self.dropout(torch.tanh(self.out_hidden(torch.cat([h, context], dim=-1))))  # (B, Hd)
        pointer = None
        if self.p_gen_layer is not None:
            p_gen = torch.sigmoid(self.p_gen_layer(torch.cat([context, h, emb], dim=-1))).squeeze(-1)  # (B,)
            pointer = (p_gen + (1 - p_gen) * null, 1 - p_gen)            # weight on the null slot is generated
        new_coverage = None if state.coverage is None else state.coverage + attn
        return hidden, attn, heads, pointer, DecoderState(h, c, context, new_coverage)

    def _vocab_logits(self, hidden: Tensor) -> Tensor:
        """Output hidden [..., Hd] → vocabulary logits [..., V]. Nothing in the decoder reads them back, so
        teacher forcing computes them after the decoder loop (``_target_logprobs``)."""
        if self.config.tie_embeddings:
            return nn.functional.linear(self.out_to_embedding(hidden), self.source_embedding.weight, self.out_bias)
        return self.out_vocab(hidden)

    def step(self, prev_ids: Tensor, state: DecoderState, enc: EncoderOutput) -> StepOutput:
        """prev_ids [B] extended ids → log-probabilities over the extended vocabulary [B, X]; an OOV
        word's entry is copy + generate share · P(<unk>), as in ``forward``."""
        hidden, attn, heads, pointer, new_state = self._decode_hidden(prev_ids, state, enc)
        logits = self._vocab_logits(hidden)                               # (B, V)
        if pointer is None:
            log_probs = torch.log_softmax(logits, dim=-1)
            oov = log_probs[:, UNK_ID:UNK_ID + 1].expand(-1, enc.extended_size - log_probs.shape[1])
            return StepOutput(torch.cat([log_probs, oov], dim=-1), attn, heads, None, new_state)
        generate, copy_rate = pointer
        vocab = torch.softmax(logits, dim=-1)                              # (B, V)
        dist = logits.new_zeros(logits.shape[0], enc.extended_size)
        dist[:, : logits.shape[1]] = generate.unsqueeze(-1) * vocab
        dist[:, logits.shape[1]:] = (generate * vocab[:, UNK_ID]).unsqueeze(-1)
        dist.scatter_add_(1, enc.ext_ids, copy_rate.unsqueeze(-1) * attn)
        return StepOutput(torch.log(dist), attn, heads, generate, new_state)

    def _target_logprobs(self, hidden: Tensor, attn: Tensor, pointer: tuple[Tensor, Tensor] | None,
                         targets: Tensor, ext_ids: Tensor, by_step: bool | None = None) -> Tensor:
        """hidden [B, T, Hd], attn [B, T, S], pointer (generate, copy rate) each [B, T] | None, targets
        [B, T] → log P(target) [B, T] (``_steps_logprobs``). ``by_step`` None: step by step exactly when
        gradients are on. Without gradients every step's vocabulary logits come from one product, so the
        [V, E] output weight is read once, not T times; with gradients step by step, so that the gradient of
        one summary token's log-probability (one backward pass per token, as Integrated Gradients takes
        them) goes through its own step's [B, V] logits, not all T."""
        if not (torch.is_grad_enabled() if by_step is None else by_step):
            return self._steps_logprobs(hidden, attn, pointer, targets, ext_ids)
        steps = []
        for t in range(hidden.shape[1]):
            at = slice(t, t + 1)
            step_pointer = None if pointer is None else (pointer[0][:, at], pointer[1][:, at])
            steps.append(self._steps_logprobs(hidden[:, at], attn[:, at], step_pointer, targets[:, at], ext_ids))
        return torch.cat(steps, dim=1)                                    # (B, T)

    def _steps_logprobs(self, hidden: Tensor, attn: Tensor, pointer: tuple[Tensor, Tensor] | None,
                        targets: Tensor, ext_ids: Tensor) -> Tensor:
        """``_target_logprobs`` of the T steps given, in one computation, without building the extended
        distribution; an OOV target (id ≥ V) is copied or written as <unk>. No clamp: the probability is
        positive by construction."""
        vocab_logp = torch.log_softmax(self._vocab_logits(hidden), dim=-1)          # (B, T, V)
        words = torch.where(targets < self.config.vocab_size, targets, UNK_ID)
        gathered = vocab_logp.gather(2, words.unsqueeze(2)).squeeze(2)              # (B, T)
        if pointer is None:
            return gathered
        generate, copy_rate = pointer
        p_copy = (attn * (ext_ids.unsqueeze(1) == targets.unsqueeze(2))).sum(dim=2)  # (B, T)
        return torch.log(generate * gathered.exp() + copy_rate * p_copy)

    def forward(self, ids: Tensor, ext_ids: Tensor, mask: Tensor, targets: Tensor,
                embedded: Tensor | None = None, presence: Tensor | None = None) -> ForcedOutput:
        """Teacher forcing. ids, ext_ids, mask [B, S]; targets [B, T] extended ids (no BOS; PAD after the end).

        ``embedded`` [B, S, E] replaces the source embedding lookup (for gradient attributions);
        ``presence`` [B, S] in [0, 1] gates the source tokens (None = all present; see the module docstring).
        """
        if embedded is None:
            embedded = self.embed_source(ids)
        enc, state = self.encode_embedded(embedded, ext_ids, mask, presence)
        prev = torch.full_like(targets[:, 0], BOS_ID)
        hiddens, attns, heads, pointers, cov_losses = [], [], [], [], []
        for t in range(targets.shape[1]):
            old_coverage = state.coverage
            hidden, attn, head, pointer, state = self._decode_hidden(prev, state, enc)
            hiddens.append(hidden)
            attns.append(attn)
            heads.append(head)
            pointers.append(pointer)
            cov_losses.append(torch.minimum(attn, old_coverage).sum(dim=1) if old_coverage is not None
                              else attn.new_zeros(attn.shape[0]))
            prev = targets[:, t]
        attention = torch.stack(attns, dim=1)                             # (B, T, S)
        pointer = None if pointers[0] is None else tuple(torch.stack(p, dim=1) for p in zip(*pointers))
        return ForcedOutput(
            target_logprobs=self._target_logprobs(torch.stack(hiddens, dim=1), attention, pointer, targets, ext_ids),
            attention=attention,
            heads=None if heads[0] is None else torch.stack(heads, dim=2),
            p_gen=None if pointer is None else pointer[0],
            coverage_loss=torch.stack(cov_losses, dim=1),
        )

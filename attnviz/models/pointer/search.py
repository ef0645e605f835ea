"""Greedy and beam search that keep cross-attention, per-token log-probs and p_gen aligned with the output.

Both searches return a ``Hypothesis``; T = summary length without the end token, S = source length.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from attnviz.errors import InputError
from attnviz.models.base import DecodingSettings
from attnviz.models.pointer.seq2seq import DecoderState, EncoderOutput, PointerGenerator
from attnviz.models.pointer.vocabulary import BOS_ID, EOS_ID, PAD_ID, UNK_ID

# Never emitted: <unk> is useless when the pointer can copy the word itself.
_ALWAYS_BANNED = (PAD_ID, BOS_ID, UNK_ID)


@dataclass
class Hypothesis:
    """ids [T] extended ids; attention [T, S]; heads [H, T, S] | None; token_logprobs [T]; p_gen [T] | None."""

    ids: list[int]
    attention: Tensor
    heads: Tensor | None
    token_logprobs: Tensor
    p_gen: Tensor | None
    score: float


def banned_next_tokens(history: list[int], settings: DecodingSettings) -> list[int]:
    """Token ids that may not follow ``history`` under the repeat and length rules."""
    banned = list(_ALWAYS_BANNED)
    if len(history) < settings.min_len:
        banned.append(EOS_ID)
    if settings.block_adjacent_repeat and history:
        banned.append(history[-1])
    n = settings.no_repeat_ngram
    if n and len(history) >= n - 1:
        prefix = tuple(history[len(history) - n + 1:])
        banned.extend(history[i + n - 1] for i in range(len(history) - n + 1)
                      if tuple(history[i:i + n - 1]) == prefix)
    return banned


def _mask(log_probs: Tensor, histories: list[list[int]], settings: DecodingSettings) -> Tensor:
    """Set banned continuations to -inf; at max_len only the end token remains. log_probs [N, X]."""
    out = log_probs.clone()
    for row, history in enumerate(histories):
        if len(history) >= settings.max_len:
            eos = out[row, EOS_ID].clone()
            out[row] = float("-inf")
            out[row, EOS_ID] = eos
        else:
            out[row, banned_next_tokens(history, settings)] = float("-inf")
    return out


def _length_normalised(score: float, length: int, alpha: float) -> float:
    return score / (((5.0 + length) / 6.0) ** alpha)


@torch.no_grad()
def greedy_search(model: PointerGenerator, enc: EncoderOutput, state: DecoderState,
                  settings: DecodingSettings) -> Hypothesis:
    """Pick the most probable allowed token at every step (batch of one source)."""
    ids: list[int] = []
    attns, heads, logps, p_gens = [], [], [], []
    prev = torch.tensor([BOS_ID], device=model.device)
    while True:
        out = model.step(prev, state, enc)
        masked = _mask(out.log_probs, [ids], settings)
        token = int(masked[0].argmax())
        if token == EOS_ID or masked[0, token].item() == float("-inf"):
            end_logprob = float(out.log_probs[0, EOS_ID])
            break
        ids.append(token)
        attns.append(out.attention[0])
        heads.append(None if out.heads is None else out.heads[0])
        logps.append(out.log_probs[0, token])
        p_gens.append(None if out.p_gen is None else out.p_gen[0])
        prev = torch.tensor([token], device=model.device)
        state = out.state
    return _hypothesis(ids, attns, heads, logps, p_gens, end_logprob, enc, settings)


def _hypothesis(ids, attns, heads, logps, p_gens, end_logprob: float, enc: EncoderOutput,
                settings: DecodingSettings) -> Hypothesis:
    """Stack greedy's per-step pieces; the score counts the end token's log-prob as beam search does."""
    s = enc.source_len
    logp = torch.stack(logps) if logps else enc.memory.new_zeros(0)
    return Hypothesis(
        ids=ids,
        attention=torch.stack(attns) if attns else enc.memory.new_zeros(0, s),
        heads=torch.stack(heads, dim=1) if heads and heads[0] is not None else None,
        token_logprobs=logp,
        p_gen=torch.stack(p_gens) if p_gens and p_gens[0] is not None else None,
        score=_length_normalised(float(logp.sum()) + end_logprob, len(ids), settings.length_penalty),
    )


@torch.no_grad()
def beam_search(model: PointerGenerator, enc: EncoderOutput, state: DecoderState,
                settings: DecodingSettings) -> Hypothesis:
    """Beam search over one source. Per-beam histories of attention, heads, log-probs and p_gen
    are re-indexed by the back-pointers at every step, so they always match the surviving tokens."""
    k = settings.beam_size
    device = model.device
    scores = torch.zeros(1, device=device)                      # (N,) summed log-probs of live beams
    histories: list[list[int]] = [[]]
    s = enc.source_len
    attn_hist = enc.memory.new_zeros(1, 0, s)                    # (N, t, S)
    head_hist: Tensor | None = None                              # (N, H, t, S)
    logp_hist = enc.memory.new_zeros(1, 0)                       # (N, t)
    pgen_hist: Tensor | None = None                              # (N, t)
    prev = torch.tensor([BOS_ID], device=device)
    live_enc = enc
    finished: list[Hypothesis] = []
    while histories and len(finished) < k:
        out = model.step(prev, state, live_enc)
        masked = _mask(out.log_probs, histories, settings)
        total = (scores.unsqueeze(1) + masked).view(-1)          # (N * X,)
        top_scores, top_index = total.topk(min(2 * k, total.numel()))
        width = masked.shape[1]
        keep_rows, keep_tokens, keep_scores = [], [], []
        for score, flat in zip(top_scores.tolist(), top_index.tolist()):
            if score == float("-inf") or len(keep_rows) == k:
                break
            row, token = divmod(flat, width)
            if token == EOS_ID:
                t = len(histories[row])
                finished.append(Hypothesis(
                    ids=list(histories[row]), attention=attn_hist[row],
                    heads=None if head_hist is None else head_hist[row],
                    token_logprobs=logp_hist[row], p_gen=None if pgen_hist is None else pgen_hist[row],
                    score=_length_normalised(score, t, settings.length_penalty)))
                if len(finished) == k:
                    break
                continue
            keep_rows.append(row)
            keep_tokens.append(token)
            keep_scores.append(score)
        if not keep_rows or len(finished) >= k:
            break
        rows = torch.tensor(keep_rows, device=device)
        tokens = torch.tensor(keep_tokens, device=device)
        step_logp = out.log_probs[rows, tokens]                          # (N',)
        attn_hist = torch.cat([attn_hist[rows], out.attention[rows].unsqueeze(1)], dim=1)
        logp_hist = torch.cat([logp_hist[rows], step_logp.unsqueeze(1)], dim=1)
        if out.heads is not None:
            new_heads = out.heads[rows].unsqueeze(2)                     # (N', H, 1, S)
            head_hist = new_heads if head_hist is None else torch.cat([head_hist[rows], new_heads], dim=2)
        if out.p_gen is not None:
            new_pgen = out.p_gen[rows].unsqueeze(1)
            pgen_hist = new_pgen if pgen_hist is None else torch.cat([pgen_hist[rows], new_pgen], dim=1)
        histories = [histories[r] + [t] for r, t in zip(keep_rows, keep_tokens)]
        scores = torch.tensor(keep_scores, device=device)
        state = out.state.select(rows)
        live_enc = live_enc.select(rows)
        prev = tokens
    if not finished:
        raise InputError("beam search found no allowed summary; relax the length or repeat settings")
    return max(finished, key=lambda h: h.score)


def search(model: PointerGenerator, enc: EncoderOutput, state: DecoderState, settings: DecodingSettings) -> Hypothesis:
    """Greedy search for beam size 1, beam search otherwise."""
    if settings.beam_size == 1:
        return greedy_search(model, enc, state, settings)
    return beam_search(model, enc, state, settings)

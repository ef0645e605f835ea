import random
from dataclasses import dataclass

import numpy as np
import pytest
import torch

from attnviz.errors import InputError
from attnviz.models.base import DecodingSettings
from attnviz.models.pointer.search import banned_next_tokens, beam_search, greedy_search
from attnviz.models.pointer.seq2seq import DecoderState, EncoderOutput, StepOutput
from attnviz.models.pointer.summarizer import PointerSummarizer
from attnviz.models.pointer.vocabulary import BOS_ID, EOS_ID, PAD_ID, UNK_ID
from tests.conftest import make_model, random_text

KINDS = ["additive", "dot", "general", "multihead"]


def test_banned_tokens_follow_the_rules():
    s = DecodingSettings(min_len=2, no_repeat_ngram=3, block_adjacent_repeat=True)
    assert set(banned_next_tokens([], s)) == {PAD_ID, BOS_ID, UNK_ID, EOS_ID}
    # history 5 6 7 5 6: the trigram (5, 6, 7) exists, so 7 may not follow "5 6"; 6 may not follow 6.
    assert set(banned_next_tokens([5, 6, 7, 5, 6], s)) == {PAD_ID, BOS_ID, UNK_ID, 6, 7}
    off = DecodingSettings(min_len=0, no_repeat_ngram=0, block_adjacent_repeat=False)
    assert set(banned_next_tokens([5, 6, 7, 5, 6], off)) == {PAD_ID, BOS_ID, UNK_ID}


@pytest.mark.parametrize("bad", [dict(beam_size=0), dict(max_len=0), dict(min_len=30, max_len=20),
                                 dict(no_repeat_ngram=1), dict(length_penalty=-1)])
def test_impossible_settings_are_refused_with_a_message(bad):
    with pytest.raises(InputError):
        DecodingSettings(**bad)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_beam_of_one_equals_greedy(vocab, kind, seed):
    model = make_model(vocab, seed=seed, attention=kind, coverage=seed == 1)
    summarizer = PointerSummarizer(model, vocab)
    text = random_text(random.Random(seed), 30, oov_rate=0.2)
    settings = DecodingSettings(beam_size=1, max_len=12, min_len=3)
    source = summarizer.encode(text)
    enc, state = model.encode(*summarizer.source_tensors(source))
    greedy = greedy_search(model, enc, state, settings)
    beam = beam_search(model, enc, state, settings)
    assert beam.ids == greedy.ids
    torch.testing.assert_close(beam.attention, greedy.attention)
    torch.testing.assert_close(beam.token_logprobs, greedy.token_logprobs)
    assert beam.score == pytest.approx(greedy.score)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("beam_size", [2, 5])
def test_beam_attention_and_logprobs_match_a_teacher_forced_rerun(vocab, kind, beam_size):
    """What the beam kept for its winner equals recomputing that summary from scratch."""
    model = make_model(vocab, seed=3, attention=kind, coverage=True)
    summarizer = PointerSummarizer(model, vocab)
    text = random_text(random.Random(7), 25, oov_rate=0.2)
    gen = summarizer.summarize(text, DecodingSettings(beam_size=beam_size, max_len=10, min_len=4))
    assert 4 <= len(gen.summary_tokens) <= 10
    ids, ext, mask = summarizer.source_tensors(summarizer.encode(text))
    with torch.no_grad():
        forced = model(ids, ext, mask, torch.tensor([gen.summary_ids.tolist()]))
    np.testing.assert_allclose(gen.attention, forced.attention[0].numpy(), atol=1e-5)
    np.testing.assert_allclose(gen.token_logprobs, forced.target_logprobs[0].numpy(), atol=1e-5)
    np.testing.assert_allclose(gen.p_gen, forced.p_gen[0].numpy(), atol=1e-5)
    if kind == "multihead":
        np.testing.assert_allclose(gen.layer_attention[0], forced.heads[0].numpy(), atol=1e-5)
    assert np.all(gen.attention.sum(axis=1) < 1)                         # the null slot has the rest


def test_no_token_three_times_in_a_row_and_length_limits(vocab):
    model = make_model(vocab, seed=4)
    summarizer = PointerSummarizer(model, vocab)
    for seed in range(5):
        text = random_text(random.Random(seed), 20)
        for beam in (1, 3):
            gen = summarizer.summarize(text, DecodingSettings(beam_size=beam, max_len=15, min_len=5))
            ids = gen.summary_ids.tolist()
            assert 5 <= len(ids) <= 15
            assert all(a != b for a, b in zip(ids, ids[1:]))
            trigrams = list(zip(ids, ids[1:], ids[2:]))
            assert len(trigrams) == len(set(trigrams))


@dataclass
class _ScriptedModel:
    """A stand-in model whose next-token distribution depends only on the previous token."""

    table: dict[int, dict[int, float]]
    vocab_size: int = 8
    device = torch.device("cpu")

    def step(self, prev: torch.Tensor, state: DecoderState, enc: EncoderOutput) -> StepOutput:
        rows = []
        for p in prev.tolist():
            row = torch.full((self.vocab_size,), 1e-9)
            for token, prob in self.table.get(p, {EOS_ID: 1.0}).items():
                row[token] = prob
            rows.append(torch.log(row / row.sum()))
        n = len(rows)
        attn = torch.full((n, 2), 0.5)
        return StepOutput(torch.stack(rows), attn, None, torch.full((n,), 0.5), state)


def _scripted_inputs():
    enc = EncoderOutput(torch.zeros(1, 3, 1), torch.zeros(1, 3, 1), torch.ones(1, 3),
                        torch.zeros(1, 2, dtype=torch.long), 8)
    state = DecoderState(torch.zeros(1, 1), torch.zeros(1, 1), torch.zeros(1, 1), None)
    return enc, state


def test_beam_finds_the_better_sequence_that_greedy_misses():
    # From BOS: 4 (0.6) or 5 (0.4). After 4 the model is unsure (0.34 each); after 5 it is certain.
    table = {BOS_ID: {4: 0.6, 5: 0.4}, 4: {6: 0.34, 7: 0.33, EOS_ID: 0.33}, 5: {6: 0.999, EOS_ID: 0.001},
             6: {EOS_ID: 1.0}, 7: {EOS_ID: 1.0}}
    model = _ScriptedModel(table)
    settings = DecodingSettings(beam_size=2, min_len=0, max_len=5, length_penalty=0.0, no_repeat_ngram=0)
    enc, state = _scripted_inputs()
    assert greedy_search(model, enc, state, settings).ids == [4, 6]
    best = beam_search(model, enc, state, settings)
    assert best.ids == [5, 6]
    assert best.score == pytest.approx(np.log(0.4) + np.log(0.999), abs=1e-4)
    np.testing.assert_allclose(best.token_logprobs.numpy(), [np.log(0.4), np.log(0.999)], atol=1e-4)

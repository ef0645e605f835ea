"""A tiny pointer-generator trained for a few hundred steps learns to copy, including unseen words."""
import random

import torch

from attnviz.decoding import DecodingSettings
from attnviz.pipeline import Summarizer
from attnviz.train import batch_loss, collate, encode_pairs, make_batches
from tests.conftest import make_model, random_text


def _copy_pairs(rng: random.Random, n: int) -> list[dict]:
    pairs = []
    for _ in range(n):
        words = random_text(rng, rng.randint(6, 10), oov_rate=0.3).split()
        pairs.append({"text": " ".join(words), "summary": " ".join(words[:3])})
    return pairs


def test_tiny_model_learns_to_copy_the_first_three_words(vocab):
    rng = random.Random(0)
    model = make_model(vocab, seed=0, emb_dim=32, hidden_dim=48)
    pairs = encode_pairs(_copy_pairs(rng, 2000), vocab, source_tokens=20, target_tokens=5)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    model.train()
    steps = 0
    while steps < 300:
        for group in make_batches(pairs, 32, rng):
            loss, _, _ = batch_loss(model, collate(group, torch.device("cpu")), 0.0)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            steps += 1
            if steps == 300:
                break
    summarizer = Summarizer(model.eval(), vocab)
    settings = DecodingSettings(beam_size=1, min_len=0, max_len=6, no_repeat_ngram=0, block_adjacent_repeat=False)
    held_out = _copy_pairs(random.Random(99), 50)
    exact = 0
    copied_oov_shown_as_itself = 0
    for pair in held_out:
        generation = summarizer.summarize(pair["text"], settings)
        exact += generation.summary_tokens == pair["summary"].split()
        first = pair["text"].split()[0]
        if first.startswith("zz") and generation.summary_tokens[:1] == [first]:
            copied_oov_shown_as_itself += 1
            assert generation.p_gen[0] < 0.5      # it came from the pointer, not the vocabulary
    assert exact >= 40, f"only {exact}/50 held-out sources copied exactly"
    assert copied_oov_shown_as_itself >= 5

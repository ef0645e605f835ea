"""Tiny seeded models and vocabularies shared by the tests."""
from __future__ import annotations

import os
import random
import tempfile

import pytest
import torch

from attnviz.models.pointer.config import ModelConfig
from attnviz.models.pointer.seq2seq import PointerGenerator
from attnviz.models.pointer.summarizer import PointerSummarizer
from attnviz.models.pointer.vocabulary import SPECIALS, Vocabulary

for _var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "MPLCONFIGDIR"):
    os.environ.setdefault(_var, tempfile.mkdtemp(prefix=f"attnviz-{_var.lower()}-"))

torch.set_num_threads(1)

WORDS = [f"w{i}" for i in range(40)] + [".", ",", "the", "a"]


@pytest.fixture
def vocab() -> Vocabulary:
    return Vocabulary(list(SPECIALS) + WORDS)


def make_model(vocab: Vocabulary, *, seed: int = 0, **overrides) -> PointerGenerator:
    """A small random pointer-generator in eval mode (dropout off)."""
    torch.manual_seed(seed)
    config = ModelConfig(**{"vocab_size": len(vocab), "emb_dim": 16, "hidden_dim": 16, "dropout": 0.0, **overrides})
    return PointerGenerator(config).eval()


def random_text(rng: random.Random, n: int, oov_rate: float = 0.0) -> str:
    return " ".join(f"zz{rng.randrange(1000)}" if rng.random() < oov_rate else rng.choice(WORDS[:40]) for _ in range(n))


@pytest.fixture
def summarizer(vocab: Vocabulary) -> PointerSummarizer:
    return PointerSummarizer(make_model(vocab), vocab, name="tiny")


def copy_pairs(rng: random.Random, n: int) -> list[dict]:
    """Sources of 6–10 words (30% unseen) whose summary is their first three words."""
    pairs = []
    for _ in range(n):
        words = random_text(rng, rng.randint(6, 10), oov_rate=0.3).split()
        pairs.append({"text": " ".join(words), "summary": " ".join(words[:3])})
    return pairs


@pytest.fixture(scope="session")
def copy_summarizer() -> PointerSummarizer:
    """A tiny pointer-generator trained for 300 steps to copy the first three words (about 10 s)."""
    from attnviz.models.pointer.train import batch_loss, collate, encode_pairs, make_batches

    vocab = Vocabulary(list(SPECIALS) + WORDS)
    rng = random.Random(0)
    model = make_model(vocab, seed=0, emb_dim=32, hidden_dim=48)
    pairs = encode_pairs(copy_pairs(rng, 2000), vocab, source_tokens=20, target_tokens=5)
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
    return PointerSummarizer(model.eval(), vocab, name="copy")


@torch.no_grad()
def absent_token_effects(scorer, j: int, replacement_id: int) -> tuple[float, float]:
    """The pointer-generator's removal seen from inside: with token j absent: max |Δf_t| when its word is replaced by ``replacement_id``, and its largest
    attention weight. Both are 0 when removal is what the docs say. (Two separate forward passes: rows of
    one batch may differ in the last bit.)"""
    presence = torch.ones(1, scorer.source_len, device=scorer.ids.device)
    presence[0, j] = 0
    mask = torch.ones_like(scorer.ids, dtype=torch.bool)
    outputs = []
    for word in (None, replacement_id):
        ids, ext = scorer.ids.clone(), scorer.ext_ids.clone()
        if word is not None:
            ids[0, j] = ext[0, j] = word
        outputs.append(scorer.model(ids, ext, mask, scorer.targets, presence=presence))
    change = (outputs[0].target_logprobs - outputs[1].target_logprobs).abs().max()
    return float(change), float(max(out.attention[0, :, j].max() for out in outputs))


def intact(scorer) -> torch.Tensor:
    """f(x): the scorer's target log-probs of the intact source [T]."""
    return scorer.score_keep(torch.ones(1, scorer.source_len))[0]

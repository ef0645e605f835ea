"""Tiny seeded models and vocabularies shared by the tests."""
from __future__ import annotations

import os
import random
import tempfile

import pytest
import torch

from attnviz.model import ModelConfig, PointerGenerator
from attnviz.pipeline import Summarizer
from attnviz.tokenizer import SPECIALS, Vocabulary

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
def summarizer(vocab: Vocabulary) -> Summarizer:
    return Summarizer(make_model(vocab), vocab, name="tiny")

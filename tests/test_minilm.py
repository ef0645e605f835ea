"""The pointer-generator with the frozen pretrained MiniLM-L6 encoder: its words' input vectors, removal that
means what it means for the recurrent encoder, every check of ``attnviz check``, and a checkpoint that
stores only what was trained and loads with no network."""
import json
import os
import random
import subprocess
import sys
from functools import partial

import numpy as np
import pytest
import torch

from attnviz.axioms import run_checks
from attnviz.models.base import DecodingSettings
from attnviz.models.loading import load_model
from attnviz.models.pointer import minilm
from attnviz.models.pointer.checkpoint import save_checkpoint
from attnviz.models.pointer.scorer import PointerScorer
from attnviz.models.pointer.summarizer import PointerSummarizer
from attnviz.models.pointer.vocabulary import SPECIALS, Vocabulary
from tests.conftest import WORDS, intact, make_model, random_text

SETTINGS = DecodingSettings(beam_size=2, min_len=3, max_len=4)


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary(list(SPECIALS) + WORDS + ["minister", "committee", "budget"])


@pytest.fixture(scope="module")
def summarizer(vocab) -> PointerSummarizer:
    return PointerSummarizer(make_model(vocab, seed=3, encoder="minilm", coverage=True), vocab, name="tiny-minilm")


def test_a_word_reads_the_mean_of_its_pieces_and_specials_read_minilm_s_own(vocab):
    from transformers import AutoModel, AutoTokenizer

    folder = minilm.package_folder()
    tokenizer, bert = AutoTokenizer.from_pretrained(str(folder)), AutoModel.from_pretrained(str(folder))
    table = bert.embeddings.word_embeddings.weight.detach()
    vectors = minilm.word_vectors(tuple(vocab.words))
    pieces = tokenizer("committee w17", add_special_tokens=False).input_ids
    assert len(pieces) >= 3                                                # "w17" is more than one piece
    w17 = tokenizer("w17", add_special_tokens=False).input_ids
    torch.testing.assert_close(vectors[vocab.index["w17"]], table[w17].mean(dim=0))
    torch.testing.assert_close(vectors[vocab.index["<unk>"]], table[tokenizer.unk_token_id])
    torch.testing.assert_close(vectors[vocab.index["committee"]], table[tokenizer.convert_tokens_to_ids("committee")])


def test_removal_takes_a_word_out_of_the_encoder_entirely(summarizer):
    generation = summarizer.summarize(random_text(random.Random(1), 12), SETTINGS)
    scorer = summarizer.scorer(generation)
    np.testing.assert_allclose(intact(scorer).numpy(), generation.token_logprobs, atol=1e-5)
    keep = np.ones((1, scorer.source_len), dtype=bool)
    keep[0, 2] = False
    other = generation.source_ids.copy()
    other[2] = other[3] if other[3] != other[2] else other[4]
    swapped = summarizer.scorer(type(generation)(**{**generation.__dict__, "source_ids": other, "source_ext_ids": other}))
    np.testing.assert_allclose(swapped.score_masks(keep), scorer.score_masks(keep), atol=1e-6)   # absent: irrelevant
    everything = np.ones_like(keep)
    assert np.abs(swapped.score_masks(everything) - scorer.score_masks(everything)).max() > 1e-4   # present: matters
    none = scorer.score_masks(np.zeros_like(keep))
    near_none = scorer.score_presence(torch.full((1, scorer.source_len), 1e-7)).detach().numpy()
    np.testing.assert_allclose(near_none, none, atol=1e-4)                          # the path's end is continuous


def test_every_check_passes(summarizer, vocab):
    rng = random.Random(5)
    generation = summarizer.summarize(random_text(rng, 14), SETTINGS)
    short = summarizer.summarize(random_text(rng, 7), DecodingSettings(beam_size=1, min_len=2, max_len=2))
    checks, _ = run_checks(partial(PointerScorer, summarizer.model), generation, rows=2, short=short,
                           progress=lambda _m: None)
    assert any(c.name == "equals exact Owen values" for c in checks)
    assert all(c.passed for c in checks), [c for c in checks if not c.passed]


def test_encoder_self_attention_among_the_words(summarizer):
    generation = summarizer.summarize(random_text(random.Random(2), 9), SETTINGS)
    heads = summarizer.encoder_attention(generation, 5)
    assert summarizer.encoder_layers == 6 and heads.shape == (12, 9, 9)
    assert np.all(heads.sum(-1) < 1) and np.all(heads.sum(-1) > 0)                  # [CLS] holds the rest
    with pytest.raises(Exception, match="layer 6 does not exist"):
        summarizer.encoder_attention(generation, 6)


def test_a_checkpoint_holds_only_what_was_trained_and_loads_offline(summarizer, vocab, tmp_path):
    save_checkpoint(tmp_path / "tiny-minilm", summarizer.model, vocab)
    from safetensors import safe_open

    with safe_open(str(tmp_path / "tiny-minilm" / "model.safetensors"), framework="pt") as stored:
        names = list(stored.keys())
    assert "encoder_projection.weight" in names and not any("bert" in n or "encoder.layer" in n for n in names)
    text = random_text(random.Random(3), 10)
    expected = summarizer.summarize(text, SETTINGS)
    script = ("import sys, json; from attnviz.models.loading import load_model; from attnviz.models.base import DecodingSettings;"
              "g = load_model(sys.argv[1], device='cpu').summarize(sys.argv[2], DecodingSettings(beam_size=2, min_len=3,"
              " max_len=4)); print(json.dumps(g.token_logprobs.tolist()))")
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path / "tiny-minilm"), text], capture_output=True,
                         text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                                                      "HF_HOME": str(tmp_path / "no-cache")})
    assert run.returncode == 0, run.stderr
    np.testing.assert_allclose(json.loads(run.stdout), expected.token_logprobs, atol=1e-5)
    loaded = load_model(tmp_path / "tiny-minilm", device="cpu")
    assert loaded.source_ceiling == 511 and loaded.encoder_layers == 6


def test_the_source_ceiling_is_minilm_s(vocab):
    with pytest.raises(ValueError, match="at most 511 source tokens"):
        make_model(vocab, encoder="minilm", max_source_tokens=600)

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from attnviz.errors import CheckpointError
from attnviz.models.base import DecodingSettings
from attnviz.models.pointer.checkpoint import CONFIG, VOCAB, WEIGHTS, load_checkpoint, save_checkpoint
from attnviz.models.pointer.summarizer import PointerSummarizer
from tests.conftest import make_model

TEXT = "w1 w2 zorblax w3 the w4 . w5 w6 w7 , w8 w9 a w10"


@pytest.fixture
def saved(tmp_path: Path, vocab) -> Path:
    folder = tmp_path / "ckpt"
    save_checkpoint(folder, make_model(vocab, seed=5, attention="multihead", coverage=True), vocab, {"note": "test"})
    return folder


def test_round_trip_gives_identical_outputs(saved: Path, vocab):
    original = PointerSummarizer(make_model(vocab, seed=5, attention="multihead", coverage=True), vocab)
    loaded = PointerSummarizer.from_checkpoint(saved, device="cpu")
    assert loaded.metadata == {"note": "test"}
    for beam in (1, 4):
        a = original.summarize(TEXT, DecodingSettings(beam_size=beam))
        b = loaded.summarize(TEXT, DecodingSettings(beam_size=beam))
        assert a.summary_tokens == b.summary_tokens
        np.testing.assert_array_equal(a.attention, b.attention)
        np.testing.assert_array_equal(a.layer_attention, b.layer_attention)
        np.testing.assert_array_equal(a.token_logprobs, b.token_logprobs)


def test_float16_weights_load_as_float32_within_float16_rounding(tmp_path: Path, vocab):
    from safetensors import safe_open

    model = make_model(vocab, seed=5, attention="multihead", coverage=True)
    save_checkpoint(tmp_path / "half", model, vocab, half=True)
    with safe_open(str(tmp_path / "half" / WEIGHTS), framework="pt") as stored:
        assert {stored.get_slice(n).get_dtype() for n in stored.keys()} == {"F16"}
    loaded, _, _ = load_checkpoint(tmp_path / "half")
    for name, weight in loaded.state_dict().items():
        original = model.state_dict()[name]
        assert weight.dtype == original.dtype
        np.testing.assert_allclose(weight.numpy(), original.numpy(), rtol=2**-10, atol=1e-7)
    a = PointerSummarizer(model, vocab).summarize(TEXT, DecodingSettings(beam_size=1))
    b = PointerSummarizer(loaded, vocab).summarize(TEXT, DecodingSettings(beam_size=1))
    np.testing.assert_allclose(a.token_logprobs, b.token_logprobs, atol=1e-2)


def test_weights_file_is_safetensors_not_pickle(saved: Path):
    header_len = int.from_bytes((saved / WEIGHTS).read_bytes()[:8], "little")
    header = json.loads((saved / WEIGHTS).read_bytes()[8:8 + header_len])
    assert "source_embedding.weight" in header


def _damage(folder: Path, name: str, content: bytes) -> None:
    (folder / name).write_bytes(content)


@pytest.mark.parametrize("name,content,message", [
    (WEIGHTS, b"\x00\x01garbage", "cannot load weights from .*model.safetensors"),
    (WEIGHTS, pickle.dumps({"a": 1}), "cannot load weights from .*model.safetensors"),
    (CONFIG, b"{not json", "config.json is not valid JSON"),
    (CONFIG, b'{"format": "something-else"}', "config.json is not an attnviz checkpoint"),
    (VOCAB, b'["<pad>", "<unk>"]', "vocab.json is not a valid vocabulary"),
])
def test_damaged_checkpoint_names_the_file(saved: Path, name: str, content: bytes, message: str):
    _damage(saved, name, content)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(saved)


def test_truncated_weights_file(saved: Path):
    data = (saved / WEIGHTS).read_bytes()
    _damage(saved, WEIGHTS, data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="model.safetensors"):
        load_checkpoint(saved)


def test_weights_of_another_shape(saved: Path, tmp_path: Path, vocab):
    other = tmp_path / "other"
    save_checkpoint(other, make_model(vocab, hidden_dim=8), vocab)
    (saved / WEIGHTS).write_bytes((other / WEIGHTS).read_bytes())
    with pytest.raises(CheckpointError, match="not made for this config"):
        load_checkpoint(saved)


def test_missing_pieces(saved: Path, tmp_path: Path):
    with pytest.raises(CheckpointError, match="folder not found"):
        load_checkpoint(tmp_path / "nowhere")
    (saved / VOCAB).unlink()
    with pytest.raises(CheckpointError, match="file missing: .*vocab.json"):
        load_checkpoint(saved)


def test_vocab_size_mismatch(saved: Path):
    words = json.loads((saved / VOCAB).read_text())
    (saved / VOCAB).write_text(json.dumps(words + ["extra"]))
    with pytest.raises(CheckpointError, match="vocab.json has .* words but"):
        load_checkpoint(saved)

"""The shipped checkpoints: each small, loadable offline, well-formed output, stable scores."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from attnviz.models.base import DecodingSettings
from attnviz.models.folders import DEFAULT_MODEL, PRETRAINED_DIR, available_models
from attnviz.models.pointer.checkpoint import WEIGHTS
from attnviz.models.pointer.summarizer import PointerSummarizer

TEXT = ("The UK's biggest union has voted to strike over pay. Members of Unite at 40 hospitals will walk out "
        "next month, the union said on Friday, after talks with NHS managers broke down.")
SUMMARY = "UK union votes to strike over pay at 40 hospitals"
GOLDEN = Path(__file__).resolve().parent / "golden"
SHIPPED = sorted(p.name for p in PRETRAINED_DIR.iterdir() if (p / "config.json").is_file())


@pytest.fixture(scope="module", params=SHIPPED)
def shipped(request) -> PointerSummarizer:
    return PointerSummarizer.from_checkpoint(request.param, device="cpu")


def test_every_shipped_model_is_listed_small_and_has_a_card():
    assert DEFAULT_MODEL in SHIPPED and set(SHIPPED) <= set(available_models())
    for name in SHIPPED:
        assert (PRETRAINED_DIR / name / WEIGHTS).stat().st_size < 40 * 2**20
        assert (PRETRAINED_DIR / name / "README.md").is_file()
        assert (GOLDEN / f"{name}.json").is_file(), f"no golden values for {name}: python -m tests.test_pretrained"


@pytest.mark.parametrize("beam", [1, 4])
def test_summary_reads_like_a_headline(shipped: PointerSummarizer, beam: int):
    g = shipped.summarize(TEXT, DecodingSettings(beam_size=beam))
    words = g.summary.split()
    assert 4 <= len(words) <= 20
    assert all(not (a == b == c) for a, b, c in zip(g.summary_tokens, g.summary_tokens[1:], g.summary_tokens[2:]))
    assert np.all((g.attention.sum(axis=1) > 0) & (g.attention.sum(axis=1) < 1))   # the null slot has the rest
    assert np.all(g.token_logprobs <= 0) and np.all((g.p_gen >= 0) & (g.p_gen <= 1))
    if g.layer_attention is not None:                          # [1, H, T, S]: each head's rows, the null slot aside
        heads = g.layer_attention[0]
        assert heads.shape[1:] == g.attention.shape and heads.shape[0] > 1
        assert np.all((heads.sum(axis=2) > 0) & (heads.sum(axis=2) <= 1 + 1e-6))
        np.testing.assert_allclose(heads.mean(axis=0), g.attention, atol=1e-6)


def test_teacher_forced_scores_match_the_golden_values(shipped: PointerSummarizer):
    """log P(reference headline | text) per token, recorded when the model was shipped (regenerate with
    `python -m tests.test_pretrained` after retraining)."""
    golden = json.loads((GOLDEN / f"{shipped.name}.json").read_text())
    np.testing.assert_allclose(forced_logprobs(shipped, golden["text"], golden["summary"]), golden["token_logprobs"],
                               atol=1e-3)


def forced_logprobs(summarizer: PointerSummarizer, text: str, summary: str) -> list[float]:
    source = summarizer.encode(text)
    targets = summarizer.vocab.encode_target(summary, source, max_tokens=40)
    with torch.no_grad():
        out = summarizer.model(*summarizer.source_tensors(source), torch.tensor([targets]))
    return out.target_logprobs[0].tolist()


if __name__ == "__main__":
    for name in SHIPPED:
        path = GOLDEN / f"{name}.json"
        if path.is_file():
            continue
        model = PointerSummarizer.from_checkpoint(name, device="cpu")
        path.write_text(json.dumps({"text": TEXT, "summary": SUMMARY, "token_logprobs": [
            round(x, 6) for x in forced_logprobs(model, TEXT, SUMMARY)]}, indent=1) + "\n")
        print(f"wrote {path}")

"""The shipped checkpoint: small, loadable, well-formed output, stable scores."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from attnviz.checkpoint import WEIGHTS
from attnviz.decoding import DecodingSettings
from attnviz.pipeline import DEFAULT_MODEL, PRETRAINED_DIR, Summarizer, available_models

TEXT = ("The UK's biggest union has voted to strike over pay. Members of Unite at 40 hospitals will walk out "
        "next month, the union said on Friday, after talks with NHS managers broke down.")
GOLDEN = Path(__file__).resolve().parent / "golden" / "pretrained_logprobs.json"


@pytest.fixture(scope="module")
def shipped() -> Summarizer:
    return Summarizer.from_checkpoint(device="cpu")


def test_shipped_model_is_listed_and_small():
    assert DEFAULT_MODEL in available_models()
    assert (PRETRAINED_DIR / DEFAULT_MODEL / WEIGHTS).stat().st_size < 40 * 2**20
    assert (PRETRAINED_DIR / DEFAULT_MODEL / "README.md").is_file()


@pytest.mark.parametrize("beam", [1, 4])
def test_summary_reads_like_a_headline(shipped: Summarizer, beam: int):
    g = shipped.summarize(TEXT, DecodingSettings(beam_size=beam))
    words = g.summary.split()
    assert 4 <= len(words) <= 20
    assert all(not (a == b == c) for a, b, c in zip(g.summary_tokens, g.summary_tokens[1:], g.summary_tokens[2:]))
    assert np.all((g.attention.sum(axis=1) > 0) & (g.attention.sum(axis=1) < 1))   # the null slot has the rest
    assert np.all(g.token_logprobs <= 0) and np.all((g.p_gen >= 0) & (g.p_gen <= 1))


def test_teacher_forced_scores_match_the_golden_values(shipped: Summarizer):
    """log P(reference headline | text) per token, recorded when the model was shipped (regenerate with
    `python -m tests.test_pretrained` after retraining)."""
    golden = json.loads(GOLDEN.read_text())
    np.testing.assert_allclose(forced_logprobs(shipped, golden["text"], golden["summary"]), golden["token_logprobs"],
                               atol=1e-3)


def forced_logprobs(summarizer: Summarizer, text: str, summary: str) -> list[float]:
    source = summarizer.encode(text)
    targets = summarizer.vocab.encode_target(summary, source, max_tokens=40)
    with torch.no_grad():
        out = summarizer.model(*summarizer.source_tensors(source), torch.tensor([targets]))
    return out.target_logprobs[0].tolist()


if __name__ == "__main__":
    model = Summarizer.from_checkpoint(device="cpu")
    summary = "UK union votes to strike over pay at 40 hospitals"
    GOLDEN.write_text(json.dumps({"text": TEXT, "summary": summary,
                                  "token_logprobs": [round(x, 6) for x in forced_logprobs(model, TEXT, summary)]},
                                 indent=1) + "\n")
    print(f"wrote {GOLDEN}")

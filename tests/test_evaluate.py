"""Tests for attnviz.evaluate on hand-made inputs."""
from __future__ import annotations

import numpy as np
import pytest
from rouge_score import rouge_scorer

from attnviz.evaluate import has_stutter, headline_stats, lead_words, paired_bootstrap, rouge, rouge_per_pair

PREDICTIONS = ["police killed the gunman", "the cat sat on a mat", "markets rally as rates fall"]
REFERENCES = ["police kill the gunman in a raid", "a cat was sitting on the mat", "stocks fell sharply"]


def test_lead_words() -> None:
    text = "  One two\tthree\n four five  "
    assert lead_words(text, 3) == "One two three"
    assert lead_words(text, 10) == "One two three four five"
    assert lead_words(text, 0) == ""
    assert lead_words(" ".join(str(i) for i in range(30))) == "0 1 2 3 4 5 6 7 8 9"
    with pytest.raises(ValueError):
        lead_words(text, -1)


def test_rouge_matches_direct_rouge_score() -> None:
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    direct = [scorer.score(ref, pred) for pred, ref in zip(PREDICTIONS, REFERENCES)]
    got = rouge(PREDICTIONS, REFERENCES)
    assert set(got) == {"rouge1", "rouge2", "rougeL"}
    for key in got:
        expected = 100 * np.mean([s[key].fmeasure for s in direct])
        assert got[key] == pytest.approx(expected)
    assert got["rouge1"] > 0


def test_rouge_per_pair_shape_and_mean() -> None:
    per = rouge_per_pair(PREDICTIONS, REFERENCES)
    assert per.shape == (3, 3)
    assert per[2].tolist() == [0.0, 0.0, 0.0]                          # no overlap at all
    assert rouge_per_pair(["a b c"], ["a b c"]).tolist() == [[100.0, 100.0, 100.0]]
    means = rouge(PREDICTIONS, REFERENCES)
    np.testing.assert_allclose(per.mean(axis=0), [means["rouge1"], means["rouge2"], means["rougeL"]])


def test_rouge_rejects_mismatched_or_empty_inputs() -> None:
    with pytest.raises(ValueError, match="2 predictions but 1 references"):
        rouge(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="no predictions"):
        rouge_per_pair([], [])


def test_paired_bootstrap() -> None:
    rng = np.random.default_rng(1)
    b = rng.uniform(0, 50, size=200)
    a = b + 2.0
    assert paired_bootstrap(a, b) == pytest.approx((2.0, 2.0, 2.0))
    noisy = b + rng.normal(1.0, 5.0, size=200)
    mean, low, high = paired_bootstrap(noisy, b, samples=500, seed=3)
    assert low < mean < high
    assert mean == pytest.approx(float(np.mean(noisy - b)))
    assert paired_bootstrap(noisy, b, samples=500, seed=3) == (mean, low, high)
    with pytest.raises(ValueError, match="equal length"):
        paired_bootstrap(a, b[:-1])
    with pytest.raises(ValueError, match="equal length"):
        paired_bootstrap(np.zeros((2, 3)), np.zeros((2, 3)))


def test_has_stutter() -> None:
    assert has_stutter("the the the cat")
    assert has_stutter("Win win WIN")
    assert not has_stutter("the the cat the")
    assert not has_stutter("")


def test_headline_stats() -> None:
    summaries = [
        "police police police arrest man",          # stutter, 5 words
        "short one",                                # 2 words
        "a perfectly normal headline about news",   # 6 words
        " ".join(["w"] * 21),                       # 21 words, stutter too
    ]
    stats = headline_stats(summaries)
    assert stats == pytest.approx({"n": 4, "frac_stutter": 0.5, "frac_4_to_20_words": 0.5,
                                   "mean_words": (5 + 2 + 6 + 21) / 4})
    with pytest.raises(ValueError):
        headline_stats([])

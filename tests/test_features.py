"""Sentences and spans as features: the partition, the feature scorer, and what each method says on them."""
from __future__ import annotations

import json

import numpy as np
import pytest

from attnviz.errors import DocumentError, InputError
from attnviz.explain import METHODS
from attnviz.explain.grouped import FeatureScorer
from attnviz.explanation import Explanation
from attnviz.features import Features, parse_starts, sentence_features, span_features, token_features
from attnviz.models.base import DecodingSettings
from attnviz.pipeline import explain_text

THREE = "W1 w2 w3 w4. W5 zz777 w6 w7. W8 w9 w10 w11."     # zz777: out of vocabulary, only in sentence 2



def _covers_source(features: Features) -> bool:
    """Whether every source token belongs to exactly one feature."""
    return bool((features.membership().sum(axis=1) == 1).all())


def _token_keep(features: Features, keep: np.ndarray) -> np.ndarray:
    """Feature presences [N, G] → token presences [N, S]: a feature's tokens with it, held tokens always."""
    return ((keep != 0).astype(float) @ features.membership().T + features.held()[None, :]) > 0


@pytest.fixture(scope="module")
def forced(copy_summarizer):
    """The copy model forced to say "zz777 w1": its first token can only be copied from sentence 2."""
    generation = copy_summarizer.force(THREE, "zz777 w1")
    return generation, sentence_features(generation, text=THREE)


def test_sentences_cover_the_source_exactly_once(forced):
    generation, features = forced
    assert features.kind == "sentences" and features.count == 3 and _covers_source(features)
    assert features.bounds == ((0, 5), (5, 10), (10, 15))
    assert features.labels[1] == "W5 zz777 w6 w7."
    np.testing.assert_array_equal(features.membership().sum(axis=1), np.ones(len(generation.source_tokens)))
    without_text = sentence_features(generation)                      # the tokens detokenised: the same sentences
    assert without_text.bounds == features.bounds


def test_spans_are_checked_and_cover_the_source(forced):
    generation, _ = forced
    spans = span_features(generation, [9, 4])
    assert spans.bounds == ((0, 4), (4, 9), (9, 15)) and _covers_source(spans)
    assert spans.labels[0] == "W1 w2 w3 w4"
    for bad in ([15], [-1], [2.5], [True]):
        with pytest.raises(InputError):
            span_features(generation, bad)
    assert parse_starts("0, 4;9") == [0, 4, 9]
    with pytest.raises(InputError, match="token positions"):
        parse_starts("0, four")
    with pytest.raises(InputError):
        Features("spans", ((0, 4), (3, 6)), ("a", "b"), 6)                # overlapping
    inside = token_features(generation, within=(5, 10))
    assert not _covers_source(inside) and inside.held().sum() == 10 and inside.membership()[6, 1] == 1


def test_features_round_trip_and_refuse_damage(forced):
    _, features = forced
    assert Features.from_json(json.loads(json.dumps(features.to_json()))) == features
    broken = {**features.to_json(), "bounds": [[0, 5], [5, 99]]}
    with pytest.raises(DocumentError, match="features"):
        Features.from_json(broken)


@pytest.mark.parametrize("method", ["occlusion", "kernel_shap", "lime", "partition_shap", "integrated_gradients"])
def test_the_sentence_holding_the_only_copy_ranks_first(copy_summarizer, forced, method):
    generation, features = forced
    scorer = FeatureScorer(copy_summarizer.scorer(generation), features)
    scores = METHODS[method](scorer).scores                                           # (T, G)
    assert scores.shape == (2, 3)
    assert scores[0].argmax() == 1, f"{method}: {scores[0]}"


def test_feature_scorer_removes_whole_features(copy_summarizer, forced):
    generation, features = forced
    tokens = copy_summarizer.scorer(generation)
    scorer = FeatureScorer(tokens, features)
    keep = np.array([[1, 0, 1], [0, 0, 0]])
    np.testing.assert_allclose(scorer.score_masks(keep), tokens.score_masks(_token_keep(features, keep)), atol=1e-6)
    assert scorer.forward_passes == tokens.forward_passes == 4


@pytest.mark.parametrize("method", ["integrated_gradients", "input_x_gradient", "saliency", "attention"])
def test_sentence_scores_of_gradients_and_attention_are_token_sums(copy_summarizer, forced, method):
    """IG and Input×Gradient on tied sentence gates, saliency and attention summed: each equals the
    sentence sums of the token-level values."""
    generation, features = forced
    tokens = METHODS[method](copy_summarizer.scorer(generation)).scores                # (T, S)
    sentences = METHODS[method](FeatureScorer(copy_summarizer.scorer(generation), features)).scores
    np.testing.assert_allclose(sentences, features.aggregate(tokens), atol=2e-5, rtol=1e-4)


def test_looking_into_a_sentence_is_leave_one_out_with_the_rest_present(copy_summarizer, forced):
    generation, features = forced
    inside = token_features(generation, within=features.bounds[1])
    within = METHODS["occlusion"](FeatureScorer(copy_summarizer.scorer(generation), inside)).scores
    whole = METHODS["occlusion"](copy_summarizer.scorer(generation)).scores
    np.testing.assert_allclose(within, whole[:, 5:10], atol=1e-5)


def test_explain_by_sentences_end_to_end(copy_summarizer):
    text = "W1 w2 w3 w4. W5 w6 w7. W8 w9 w10 w11 w12."
    explanation = explain_text(copy_summarizer, text, "occlusion,kernel_shap,saliency", granularity="sentences",
                               decoding=DecodingSettings(beam_size=1, min_len=1, max_len=4), random_orders=3)
    assert explanation.features.count == 3
    assert all(a.scores.shape == (len(explanation.generation.summary_tokens), 3)
               for a in explanation.attributions.values())
    assert explanation.faithfulness["occlusion"].comprehensiveness.shape[0] == len(explanation.generation.summary_tokens)
    again = Explanation.loads(explanation.dumps())
    assert again.features == explanation.features
    np.testing.assert_allclose(again.scores["kernel_shap"], explanation.scores["kernel_shap"], atol=1e-6)
    shown = again.viewed()
    assert shown.generation.source_tokens == list(explanation.features.labels)
    # the document keeps 7 significant digits: sums of rounded weights agree to about 1e-7, not to float32's last bit
    np.testing.assert_allclose(shown.generation.attention.sum(axis=1), explanation.generation.attention.sum(axis=1),
                               rtol=1e-6)
    with pytest.raises(InputError, match="granularity"):
        explain_text(copy_summarizer, text, "occlusion", granularity="paragraphs", decoding=DecodingSettings())
    with pytest.raises(InputError, match="start positions"):
        explain_text(copy_summarizer, text, "occlusion", granularity="spans", decoding=DecodingSettings())


def test_sentences_of_a_subword_model_keep_every_word_whole(tmp_path):
    """A WordPiece BART: "minister" is two pieces; sentence bounds fall between words, labels are the words."""
    from attnviz.models.loading import load_model
    from tests import hf_models

    model = load_model(hf_models.save("bart", tmp_path / "pieces", pieces=True), device="cpu")
    text = "the minister met the committee. the budget vote failed. the minister resigned."
    generation = model.force(text, "the minister resigned")
    features = sentence_features(generation, text=text)
    assert _covers_source(features) and features.count == 3
    assert features.labels == ("the minister met the committee.", "the budget vote failed.", "the minister resigned.")
    words = generation.source_words
    assert all(start == 0 or words[start] != words[start - 1] for start, _ in features.bounds)
    scorer = FeatureScorer(model.scorer(generation), features)
    sentences = METHODS["integrated_gradients"](scorer).scores
    tokens = METHODS["integrated_gradients"](model.scorer(generation)).scores
    np.testing.assert_allclose(sentences, features.aggregate(tokens), atol=2e-5, rtol=1e-4)

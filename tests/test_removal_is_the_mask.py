"""Removal, computed another way (issue 24): a removed source token is the model's mask embedding, gets no
attention and cannot be copied, on the shipped pointer-generators with a recurrent encoder (where the trained
mask embedding and the <pad> row differ, so reading an absent token as <pad> changes f by nats); on the
MiniLM one, MiniLM's self-attention and the cross-attention to an absent word are exactly zero; and, for
Hugging Face models, cross-attention (and encoder self-attention) to an absent piece is exactly zero in every
layer and head."""
import numpy as np
import pytest
import torch

from attnviz.models.base import DecodingSettings
from attnviz.models.loading import load_model
from attnviz.models.pointer.summarizer import PointerSummarizer
from tests import hf_models

TEXT = ("Greek finance minister Yanis Varoufakis has resigned, a day after voters rejected the terms of an "
        "international bailout. Mr Varoufakis said he had been told that some eurozone ministers preferred "
        "his absence from their meetings.")
SUMMARY = "Varoufakis resigns as Greek finance minister"      # "varoufakis" is not in the vocabulary: copied
ABSENT = [0, 3, 4, 12, 20]


RECURRENT = ("news-pointer-generator", "news-luong", "news-multihead")   # the shipped BiLSTM-encoder models


def by_hand(model, scorer, absent: list[int]) -> np.ndarray:
    """f [T] with ``absent`` removed, computed without the model's presence path: the encoder reads an input
    built here (the mask embedding at the absent positions) with every token present, and the absent
    positions' attention gate is set to 0 after encoding (no attention, so no copying either)."""
    embedded = model.source_embedding(scorer.ids).detach().clone()       # (1, S, E): the recurrent encoder reads this
    embedded[0, absent] = model.mask_embedding.detach()
    encode = model.encode_embedded

    def encode_all_present(embedded, ext_ids, mask, presence=None):
        assert presence is None                                          # the model is not told what is absent
        enc, state = encode(embedded, ext_ids, mask, None)
        enc.gate[:, absent] = 0.0
        return enc, state

    model.encode_embedded = encode_all_present
    try:
        with torch.no_grad():
            out = model(scorer.ids, scorer.ext_ids, torch.ones_like(scorer.ids, dtype=torch.bool), scorer.targets,
                        embedded=embedded)
        return out.target_logprobs[0].double().numpy()
    finally:
        del model.encode_embedded


@pytest.mark.parametrize("name", RECURRENT)
def test_removal_equals_the_mask_embedding_read_with_every_token_present(name):
    shipped = PointerSummarizer.from_checkpoint(name, device="cpu")
    assert shipped.model.config.encoder == "bilstm"
    generation = shipped.force(TEXT, SUMMARY)
    scorer = shipped.scorer(generation)
    keep = np.ones((2, scorer.source_len), dtype=bool)
    keep[1, ABSENT] = False
    full, removed = scorer.score_masks(keep)
    expected = by_hand(shipped.model, scorer, ABSENT)
    assert np.abs(removed - full).max() > 1.0                            # the removal matters on this input
    np.testing.assert_allclose(removed, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())
    with torch.no_grad():                                               # and the absent tokens get no attention
        out = shipped.model(scorer.ids, scorer.ext_ids, torch.ones_like(scorer.ids, dtype=torch.bool),
                            scorer.targets, presence=torch.as_tensor(keep[1:], dtype=torch.float32))
    assert float(out.attention[0][:, ABSENT].abs().max()) == 0.0
    assert float(out.attention[0].sum(-1).min()) > 0.0


def test_minilm_attention_to_an_absent_word_is_exactly_zero():
    """MiniLM reads an absent word as its [MASK] embedding with no self-attention to it in any layer or head;
    cross-attention gives it weight 0; removal changes f."""
    shipped = PointerSummarizer.from_checkpoint("news-minilm", device="cpu")
    model = shipped.model
    scorer = shipped.scorer(shipped.force(TEXT, SUMMARY))
    keep = np.ones((2, scorer.source_len), dtype=bool)
    keep[1, ABSENT] = False
    full, removed = scorer.score_masks(keep)
    assert np.abs(removed - full).max() > 0.1
    gate = torch.as_tensor(keep[1:], dtype=torch.float32)
    present = [j for j in range(scorer.source_len) if j not in ABSENT]
    with torch.no_grad():
        words = model.embed_source(scorer.ids)                                      # (1, S, 384)
        encoder = model._minilm()
        for layer in range(6):
            weights = encoder.self_attention(words, gate, layer)                    # (H, S, S)
            assert weights.shape[0] == 12
            assert float(weights[:, :, ABSENT].abs().max()) == 0.0
            assert float(weights[:, :, present].min()) > 0.0
        out = model(scorer.ids, scorer.ext_ids, torch.ones_like(scorer.ids, dtype=torch.bool), scorer.targets,
                    presence=gate)
    assert float(out.attention[0][:, ABSENT].abs().max()) == 0.0


class AttentionSpy:
    """The scorer's model, run with output_attentions; every output kept."""

    def __init__(self, model) -> None:
        self.model, self.outputs = model, []

    def __getattr__(self, name):
        return getattr(self.model, name)

    def __call__(self, **kwargs):
        out = self.model(**kwargs, output_attentions=True)
        self.outputs.append(out)
        return out


@pytest.mark.parametrize("family", hf_models.ALL_FAMILIES)
def test_hf_attention_to_an_absent_piece_is_exactly_zero_in_every_layer_and_head(tmp_path, family):
    summarizer = load_model(hf_models.save(family, tmp_path / family), device="cpu")
    generation = summarizer.summarize("the minister met the committee on monday after the budget vote failed",
                                      DecodingSettings(beam_size=1, min_len=3, max_len=3))
    scorer = summarizer.scorer(generation)
    spy = scorer.model = AttentionSpy(scorer.model)
    absent = [1, 4, scorer.source_len - 1]
    keep = np.ones((2, scorer.source_len), dtype=bool)
    keep[1, absent] = False
    scorer.score_masks(keep)
    (out,) = spy.outputs
    columns = scorer.feature_positions[absent]                           # the absent pieces among the encoder's
    present = scorer.feature_positions[[j for j in range(scorer.source_len) if j not in absent]]
    for name in ("cross_attentions", "encoder_attentions"):
        layers = getattr(out, name)
        assert len(layers) >= 2 and layers[0].shape[1] >= 2              # every layer, every head (tiny: 2 and 4)
        for weights in layers:                                           # (N, H, queries, S')
            assert float(weights[1][..., columns].abs().max()) == 0.0    # exactly zero for the absent pieces
            assert float(weights[0][..., columns].min()) > 0.0           # and not zero when they are present
            assert float(weights[1][..., present].min()) > 0.0

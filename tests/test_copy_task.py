"""A tiny pointer-generator trained for a few hundred steps learns to copy, including unseen words."""
import random

from attnviz.models.base import DecodingSettings
from tests.conftest import copy_pairs

COPY_SETTINGS = DecodingSettings(beam_size=1, min_len=0, max_len=6, no_repeat_ngram=0, block_adjacent_repeat=False)


def test_tiny_model_learns_to_copy_the_first_three_words(copy_summarizer):
    held_out = copy_pairs(random.Random(99), 50)
    exact = 0
    copied_oov_shown_as_itself = 0
    for pair in held_out:
        generation = copy_summarizer.summarize(pair["text"], COPY_SETTINGS)
        exact += generation.summary_tokens == pair["summary"].split()
        first = pair["text"].split()[0]
        if first.startswith("zz") and generation.summary_tokens[:1] == [first]:
            copied_oov_shown_as_itself += 1
            assert generation.p_gen[0] < 0.5      # it came from the pointer, not the vocabulary
    assert exact >= 40, f"only {exact}/50 held-out sources copied exactly"
    assert copied_oov_shown_as_itself >= 5

from pathlib import Path

import pytest

from attnviz.models.pointer.vocabulary import EOS_ID, SPECIALS, UNK_ID, Vocabulary
from attnviz.words import detokenize, split_words


def test_split_words_penn_style_and_curly_quotes():
    tokens = split_words("The U.S. didn\u2019t say 3.5% of \u201cthings\u201d (really) were Britain's.")
    assert tokens == ["The", "U.S.", "did", "n't", "say", "3.5%", "of", '"', "things", '"', "(", "really", ")",
                      "were", "Britain", "'s", "."]


def test_detokenize_is_readable():
    assert detokenize(split_words('He said "no" (twice), didn\'t he? It\'s $5.')) == \
        'He said "no" (twice), didn\'t he? It\'s $5.'


def test_detokenize_glues_word_hyphens_and_pairs_single_quotes():
    assert detokenize(["Pence", "casts", "tie", "-", "breaking", "vote"]) == "Pence casts tie-breaking vote"
    assert detokenize(["Brady", ":", "'", "I", "'d", "retire", "'"]) == "Brady: 'I'd retire'"
    assert detokenize(["-", "a", "-"]) == "- a -"


def test_control_characters_and_emoji_do_not_break_splitting():
    tokens = split_words("a\u0000b \u200bc 🙂 d\u0301")
    assert "a" in tokens and "🙂" in tokens and "\u0000" not in "".join(tokens)


def test_oov_gets_extended_id_and_shows_as_itself():
    vocab = Vocabulary(list(SPECIALS) + ["the", "cat"])
    source = vocab.encode_source("The Zorblax saw the zorblax", max_tokens=10)
    assert source.ids == [4, UNK_ID, UNK_ID, 4, UNK_ID]
    assert source.ext_ids == [4, 6, 7, 4, 6]          # one extended id per distinct OOV word
    assert source.oovs == ["zorblax", "saw"]
    assert vocab.token_of(6, source) == "Zorblax"
    assert vocab.encode_target("zorblax cat dog", source, max_tokens=10) == [6, 5, UNK_ID]
    with pytest.raises(ValueError):
        vocab.token_of(9, source)


def test_truncation_is_reported():
    vocab = Vocabulary(list(SPECIALS))
    source = vocab.encode_source("a b c d e", max_tokens=3)
    assert source.tokens == ["a", "b", "c"] and source.truncated_from == 5


def test_build_save_load_roundtrip(tmp_path: Path):
    vocab = Vocabulary.build(["b a a", "c b a"], max_size=6, min_count=1)
    assert vocab.words == list(SPECIALS) + ["a", "b"]
    vocab.save(tmp_path / "v.json")
    assert Vocabulary.load(tmp_path / "v.json").words == vocab.words
    assert vocab.id_of("<eos>") == EOS_ID


def test_vocabulary_rejects_bad_word_lists():
    with pytest.raises(ValueError):
        Vocabulary(["a", "b"])
    with pytest.raises(ValueError):
        Vocabulary(list(SPECIALS) + ["a", "a"])

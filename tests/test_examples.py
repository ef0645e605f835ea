from pathlib import Path

from attnviz.examples import load_examples
from attnviz.words import split_words


def test_shipped_examples_are_test_split_articles_with_credits():
    examples = load_examples()
    assert len(examples) >= 3
    assert {e["origin"].split(":")[0] for e in examples} == {"newsarticles", "bbc"}
    for e in examples:
        assert e["title"] and e["credit"] and 150 <= len(split_words(e["text"])) <= 400


def test_missing_file_gives_no_examples(tmp_path: Path):
    assert load_examples(tmp_path / "none.json") == []
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    assert load_examples(tmp_path / "bad.json") == []

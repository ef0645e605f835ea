"""Word-level tokenizer: splitting, vocabulary, extended (copyable) ids and detokenisation.

Tokens keep their surface form (case, spelling) for display; ids come from the lower-cased
form. A source word that is not in the vocabulary gets an *extended* id ``vocab_size + k``
(k = order of first appearance) so the pointer can copy it and show it as itself.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS = (PAD, UNK, BOS, EOS)
PAD_ID, UNK_ID, BOS_ID, EOS_ID = range(4)

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
                         "\u2013": "-", "\u2014": "-", "\u00a0": " "})
_TOKEN = re.compile(
    r"""(?:[A-Za-z]\.){2,}            # abbreviations: U.S., U.K.
      | \d+(?:[.,:]\d+)*%?            # numbers: 3.5 1,000 10:30 5%
      | \w+(?=n't\b)                  # do|n't
      | n't\b
      | '(?:s|re|ve|ll|d|m)\b         # clitics: 's 're ...
      | \w+
      | [^\w\s]                       # any other single symbol
    """,
    re.VERBOSE | re.IGNORECASE,
)
_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\ufeff]")
_NO_SPACE_BEFORE = {".", ",", ";", ":", "!", "?", ")", "]", "}", "%", "n't", "'s", "'re", "'ve", "'ll", "'d", "'m"}
_NO_SPACE_AFTER = {"(", "[", "{", "$", "#"}


def normalise_text(text: str) -> str:
    """NFC-normalise, map curly quotes and dashes to ASCII, drop control characters."""
    text = unicodedata.normalize("NFC", text).translate(_QUOTES)
    return _CONTROL.sub(" ", text)


def split_words(text: str) -> list[str]:
    """Split text into surface tokens, Penn-Treebank style (``don't`` → ``do``, ``n't``)."""
    return _TOKEN.findall(normalise_text(text))


def detokenize(tokens: Sequence[str]) -> str:
    """Join tokens into readable text: no space before punctuation and clitics, paired quotes,
    hyphens between two words glued (``tie - breaking`` → ``tie-breaking``)."""
    out: list[str] = []
    open_quotes = {'"': False, "'": False}
    glue_next = False
    for i, token in enumerate(tokens):
        glue = glue_next or not out or token.lower() in _NO_SPACE_BEFORE
        glue_next = token in _NO_SPACE_AFTER
        if token in open_quotes:
            glue = glue or open_quotes[token]
            glue_next = not open_quotes[token]
            open_quotes[token] = not open_quotes[token]
        elif token == "-" and 0 < i < len(tokens) - 1 and tokens[i - 1][-1:].isalnum() and tokens[i + 1][:1].isalnum():
            glue = glue_next = True
        out.append(token if glue else " " + token)
    return "".join(out).strip()


@dataclass(frozen=True)
class EncodedSource:
    """One source text as the model sees it.

    tokens: surface forms, length S. ids: [S] in-vocabulary ids (OOV → <unk>).
    ext_ids: [S] extended ids (OOV → vocab_size + k). oovs: the k-th OOV word (lower-cased).
    truncated_from: the token count before truncation (== S when nothing was cut).
    """

    tokens: list[str]
    ids: list[int]
    ext_ids: list[int]
    oovs: list[str]
    truncated_from: int


class Vocabulary:
    """Lower-cased word ↔ id map with the four special tokens first."""

    def __init__(self, words: Sequence[str]) -> None:
        if tuple(words[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"a vocabulary must start with {SPECIALS}")
        if len(set(words)) != len(words):
            raise ValueError("a vocabulary must not repeat words")
        self.words: list[str] = list(words)
        self.index: dict[str, int] = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    @classmethod
    def build(cls, texts: Iterable[str], *, max_size: int, min_count: int = 2) -> Vocabulary:
        """Most frequent lower-cased tokens of ``texts`` (ties broken alphabetically)."""
        counts = Counter(t.lower() for text in texts for t in split_words(text))
        ranked = sorted((w for w, c in counts.items() if c >= min_count and w not in SPECIALS),
                        key=lambda w: (-counts[w], w))
        return cls(list(SPECIALS) + ranked[: max_size - len(SPECIALS)])

    def id_of(self, token: str) -> int:
        return self.index.get(token.lower(), UNK_ID)

    def encode_source(self, text: str, *, max_tokens: int) -> EncodedSource:
        """Tokenize, cut to ``max_tokens`` and give in-vocabulary and extended ids."""
        tokens = split_words(text)
        total = len(tokens)
        tokens = tokens[:max_tokens]
        ids, ext_ids, oovs = [], [], []
        for token in tokens:
            i = self.id_of(token)
            ids.append(i)
            if i == UNK_ID:
                key = token.lower()
                if key not in oovs:
                    oovs.append(key)
                i = len(self) + oovs.index(key)
            ext_ids.append(i)
        return EncodedSource(tokens, ids, ext_ids, oovs, total)

    def encode_target(self, text: str, source: EncodedSource, *, max_tokens: int) -> list[int]:
        """Extended ids of a reference summary (OOV words found in the source are copyable), no BOS/EOS."""
        ids = []
        for token in split_words(text)[:max_tokens]:
            i = self.id_of(token)
            if i == UNK_ID and token.lower() in source.oovs:
                i = len(self) + source.oovs.index(token.lower())
            ids.append(i)
        return ids

    def token_of(self, ext_id: int, source: EncodedSource) -> str:
        """Display form of an extended id; a copied OOV word shows as it stood in the source."""
        if ext_id < len(self):
            return self.words[ext_id]
        k = ext_id - len(self)
        if k >= len(source.oovs):
            raise ValueError(f"extended id {ext_id} is beyond this source's {len(source.oovs)} OOV words")
        word = source.oovs[k]
        return next(t for t in source.tokens if t.lower() == word)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.words, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Vocabulary:
        words = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise ValueError("vocabulary file must hold a JSON list of strings")
        return cls(words)

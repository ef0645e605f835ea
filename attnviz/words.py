"""Words: splitting a text into surface tokens and joining tokens back into readable text (shared by
every model family: the pointer-generator's vocabulary, sentence features, Partition SHAP's clustering)."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

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

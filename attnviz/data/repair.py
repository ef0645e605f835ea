"""Text repair: whitespace/Unicode cleaning and undoing the NewsArticles CSV's lossy '?' encoding."""
from __future__ import annotations

import re
import unicodedata


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

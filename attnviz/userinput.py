"""Values a person types (options, method parameters, paths), read by one set of parsers that bound length,
depth and digits before converting, and shown back in the person's own terms (``true``, not ``True``).

Python's own parsers accept more than a person means (``int("١٢")`` is 12) and fail in their own words on
what is too large (``int`` of 5,000 digits, ``json.loads`` nested 100,000 deep); these parsers refuse both
with one sentence.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np

from attnviz.errors import InputError

MAX_VALUE_CHARS = 200          # a typed option or parameter value
MAX_DIGITS = 30                # integer digits (before any conversion: int() of 10⁴ digits is slow or refused)
MAX_SHOWN_CHARS = 60           # how much of a value a message repeats
_WHOLE = re.compile(r"[+-]?[0-9]+")
_REAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")
_WORDS = {"true": True, "false": False, "null": None,            # JSON's literals, and the non-finite numbers
          "NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}   # Python's json reads too


INVISIBLE = ("Cc", "Cf", "Zl", "Zp")   # control, format (bidirectional overrides, zero-width), line/paragraph separators


def visible(text: str) -> str:
    """``text`` with every invisible or direction-changing character shown as its code point (⟨U+202E⟩), so a
    message stays one line, and a token can never reorder or hide what is shown around it."""
    return "".join(f"⟨U+{ord(c):04X}⟩" if unicodedata.category(c) in INVISIBLE else c for c in text)


def shown(value: Any) -> str:
    """``value`` as a person would write it in a message: text quoted, ``true``/``false``/``null`` for JSON's
    literals, numbers plainly, lists and objects as JSON; at most ``MAX_SHOWN_CHARS`` characters, one line."""
    if isinstance(value, bool) or value is None:
        text = json.dumps(value)
    elif isinstance(value, str):
        text = "'" + visible(value[:MAX_SHOWN_CHARS + 1]) + "'"
    elif isinstance(value, int):
        size = int(abs(value).bit_length() * math.log10(2)) + 1       # str() refuses ints of > 4,300 digits
        text = str(value) if size <= MAX_DIGITS else f"a number of about {size:,} digits"
    elif isinstance(value, float):
        text = repr(value) if math.isfinite(value) else ("NaN" if math.isnan(value) else "inf" if value > 0 else "-inf")
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, allow_nan=True, default=str)
        except (TypeError, ValueError, RecursionError):
            text = type(value).__name__
        text = visible(text)
    return text if len(text) <= MAX_SHOWN_CHARS else text[:MAX_SHOWN_CHARS - 1] + "…"


def shown_name(name: object, limit: int = 120) -> str:
    """A path, address or file name for a message: as given, unquoted, invisible characters shown, at most
    ``limit`` characters."""
    text = visible(str(name))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _bounded(text: str, what: str) -> str:
    if len(text) > MAX_VALUE_CHARS:
        raise InputError(f"{what} is {len(text):,} characters long; a value has at most {MAX_VALUE_CHARS}")
    return text.strip()


def whole_number(text: str, what: str = "the value") -> int:
    """A typed whole number: ASCII digits with an optional sign, at most ``MAX_DIGITS`` of them."""
    raw = _bounded(text, what)
    if not _WHOLE.fullmatch(raw):
        raise InputError(f"{what} must be a whole number written with the digits 0-9, not {shown(raw)}")
    if len(raw.lstrip("+-")) > MAX_DIGITS:
        raise InputError(f"{what} has {len(raw.lstrip('+-')):,} digits; a whole number here has at most {MAX_DIGITS}")
    return int(raw)


def real_number(text: str, what: str = "the value") -> float:
    """A typed number: ASCII digits, an optional fraction and exponent; finite."""
    raw = _bounded(text, what)
    if not _REAL.fullmatch(raw) or len(re.sub(r"[^0-9]", "", raw.split("e")[0].split("E")[0])) > MAX_DIGITS:
        raise InputError(f"{what} must be a number written with the digits 0-9 (like 0.5 or 1e-3), not {shown(raw)}")
    value = float(raw)
    if not math.isfinite(value):
        raise InputError(f"{what} must be a finite number, not {shown(raw)}")
    return value


def parameter_value(text: str, what: str = "the value") -> Any:
    """A method parameter as typed after ``=``: a whole number, a number, ``true``/``false``/``null``, a quoted
    JSON string, or else the text itself (a choice such as ``riemann_trapezoid``). Lists and objects are not
    parameter values: they stay text, and the parameter's own check refuses them."""
    raw = _bounded(text, what)
    if raw in _WORDS:
        return _WORDS[raw]
    if _WHOLE.fullmatch(raw):
        return whole_number(raw, what)
    if _REAL.fullmatch(raw):
        return float(raw)                              # too large: inf, which the parameter's check refuses
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            return raw
        return value if isinstance(value, str) else raw
    return raw


def option_type(parse: Any) -> Any:
    """``parse`` (``whole_number``, ``real_number``) as an argparse type: argparse names the option."""
    def convert(text: str) -> Any:
        try:
            return parse(text)
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    convert.__name__ = "number"
    return convert


@dataclass(frozen=True)
class Param:
    """One tunable parameter. ``low``/``high`` bound numbers (inclusive); ``choices`` bound strings;
    ``page_high`` caps the page's input where one click should stay cheap; ``budget``: the page offers it."""

    name: str
    default: Any
    label: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    page_high: float | None = None
    budget: bool = False

    def check(self, method: str, value: Any, *, high: float | None = None) -> Any:
        """``value`` if it fits this parameter (at most ``high`` where given, else ``self.high``); InputError
        saying what fits otherwise. ``method`` names the owner in the message ("" for none)."""
        where = f"{method}: {self.name}" if method else self.name
        high = self.high if high is None else high
        if self.choices is not None:
            if value not in self.choices:
                raise InputError(f"{where} must be one of {', '.join(self.choices)}, not {shown(value)}")
            return value
        kind = type(self.default)
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise InputError(f"{where} must be {'an integer' if kind is int else 'a number'}, not {shown(value)}")
        if kind is int and not isinstance(value, (int, np.integer)):
            raise InputError(f"{where} must be an integer, not {shown(value)}")
        if not math.isfinite(value):
            raise InputError(f"{where} must be a finite number, not {shown(value)}")
        if self.low is not None and value < self.low:
            raise InputError(f"{where} must be at least {self.low:g}, not {shown(value)}")
        if high is not None and value > high:
            raise InputError(f"{where} must be at most {high:g}, not {shown(value)}")
        return kind(value)



def has_visible(text: str) -> bool:
    """Whether ``text`` holds a character a reader can see: a letter, number, punctuation mark or symbol (Unicode
    categories L, N, P and S); spaces, controls, format characters (word joiners, tags) and marks alone are
    not."""
    return any(unicodedata.category(c)[0] in "LNPS" for c in text)

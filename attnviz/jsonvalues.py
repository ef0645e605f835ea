"""Values in an explanation document: floats rounded for strict JSON (6 decimal places or 7 significant digits,
NaN and infinities as null), and every field read back checked (type, range, shape) with a DocumentError that
names the field and says what is wrong in the words of the person who wrote it."""
from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from attnviz.errors import DocumentError

DECIMALS = 6                 # every float keeps at least 6 decimal places …
SIGNIFICANT = 7              # … and at least 7 significant digits (small scores, e.g. attention 1e-5, stay exact)


def rounded(values: Any) -> Any:
    """An array as nested lists of floats rounded to ``DECIMALS`` places or ``SIGNIFICANT`` digits, whichever
    keeps more; NaN and ±inf → None (strict JSON)."""
    array = np.asarray(values, dtype=np.float64)
    flat = [float(f"{v:.{max(DECIMALS, SIGNIFICANT - 1 - math.floor(math.log10(abs(v))))}f}") if v and math.isfinite(v)
            else (0.0 if v == 0 else None) for v in array.ravel().tolist()]
    return np.array(flat, dtype=object).reshape(array.shape).tolist() if array.ndim else flat[0]


def finite(value: Any) -> Any:
    """NaN/inf → None throughout lists and dicts (strict JSON); numpy → plain Python."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [finite(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


# ------------------------------------------------------------------ reading a document: every value checked once
# A document is untrusted input (made by one person, opened by another, or written by hand): every reader below
# checks type, range and shape, and says what is wrong in the reader's terms ("must be a whole number from 0 to
# 4,294,967,295, not 1e+400"), naming the field by its dotted path.

MAX_ID = 2**31 - 1                  # a token id (a vocabulary, plus a source's out-of-vocabulary words)
MAX_COUNT = 10**12                  # passes, masks, token counts, sizes
MAX_SEED = 2**32 - 1                # a random seed, as numpy takes it
MAX_INT = 2**63 - 1                 # a whole number inside a free-form block (params, checks, cost, decoding)
MAX_TEXT_CHARS = 1_000_000          # one text (the summary, a token, a label, a value)
MAX_NAME_CHARS = 200                # a method, variant, metric or version name
MAX_NAMES = 10_000                  # methods (with every head as a method), variants, versions
MAX_DEPTH = 8                       # nesting of a free-form block
MAX_BLOCK_VALUES = 100_000          # values in a free-form block
MAX_NUMBER_CHARS = 40               # a number literal longer than this is not read as a number


class UnusableNumber:
    """A number literal JSON allows but attnviz does not read as a number: too long (``MAX_NUMBER_CHARS``),
    infinite once read (1e+400) or NaN/Infinity; ``literal`` keeps its start, for the message."""

    __slots__ = ("literal",)

    def __init__(self, literal: str) -> None:
        self.literal = literal

    def __repr__(self) -> str:
        return f"UnusableNumber({self.described()!r})"

    def described(self) -> str:
        digits = self.literal.lstrip("-")
        if len(self.literal) > MAX_NUMBER_CHARS:
            return f"a number {len(digits):,} characters long" if not digits.isdigit() else \
                f"a number {len(digits):,} digits long"
        return self.literal


def _parse_int(literal: str) -> int | UnusableNumber:
    return int(literal) if len(literal) <= MAX_NUMBER_CHARS else UnusableNumber(literal)


def _parse_float(literal: str) -> float | UnusableNumber:
    value = float(literal) if len(literal) <= MAX_NUMBER_CHARS else math.inf
    return value if math.isfinite(value) else UnusableNumber(literal)


def parse_json(text: str) -> Any:
    """JSON text → Python values, with every number literal attnviz cannot use (thousands of digits, 1e+400,
    NaN, Infinity) kept as an ``UnusableNumber`` for the readers to refuse by name."""
    return json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=UnusableNumber)


def describe(value: Any) -> str:
    """A value as the person who wrote the document would name it: 1e+400, true, null, a text, a list."""
    if isinstance(value, UnusableNumber):
        return value.described()
    if value is None:
        return "null"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        bits = int(value).bit_length()
        return f"{int(value)}" if bits <= 128 else f"a number about {int(bits * math.log10(2)) + 1:,} digits long"
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return "NaN"
        return ("infinity" if value > 0 else "minus infinity") if math.isinf(value) else repr(float(value))
    if isinstance(value, str):
        return "an empty text" if not value else "a text"
    if isinstance(value, (list, tuple)):
        return "an empty list" if not value else "a list"
    if isinstance(value, dict):
        return "an object"
    return "a value JSON does not have"


def is_whole(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_number(value: Any) -> bool:
    """A finite JSON number (not true/false)."""
    return is_whole(value) or isinstance(value, (float, np.floating)) and math.isfinite(value)


def _value(document: Any, key: str, where: str, default: Any) -> Any:
    """``document[key]``; ``default`` when it is missing (or null, for an optional field); DocumentError
    when it is missing and required."""
    value = document.get(key) if isinstance(document, dict) else None
    if value is None:
        if default is not ...:
            return default
        raise DocumentError(f"{where}{key} is missing")
    return value


def read_int(document: Any, key: str, *, low: int, high: int, where: str = "", default: Any = ...) -> int:
    """``document[key]``: a whole number from ``low`` to ``high``."""
    value = _value(document, key, where, default)
    if value is default:
        return value
    if not is_whole(value) or not low <= value <= high:
        raise DocumentError(f"{where}{key} must be a whole number from {low:,} to {high:,}, not {describe(value)}")
    return int(value)


def read_float(document: Any, key: str, *, where: str = "", low: float = -math.inf, high: float = math.inf,
               default: Any = ..., nullable: bool = False) -> float:
    """``document[key]``: a finite number from ``low`` to ``high`` (``nullable``: null → NaN)."""
    if nullable and isinstance(document, dict) and key in document and document[key] is None:
        return math.nan
    value = _value(document, key, where, default)
    if value is default:
        return value
    if not is_number(value) or not low <= value <= high:
        bounds = "" if (low, high) == (-math.inf, math.inf) else (
            f" from {low:g}" + (f" to {high:g}" if high < math.inf else " up"))
        raise DocumentError(f"{where}{key} must be a number{bounds}{' or null' if nullable else ''}, "
                            f"not {describe(value)}")
    return float(value)


def read_text(document: Any, key: str, *, where: str = "", max_chars: int = MAX_TEXT_CHARS,
              default: Any = ...) -> str:
    """``document[key]``: a text of at most ``max_chars`` characters."""
    value = _value(document, key, where, default)
    if value is default:
        return value
    if not isinstance(value, str):
        raise DocumentError(f"{where}{key} must be a text, not {describe(value)}")
    if len(value) > max_chars:
        raise DocumentError(f"{where}{key} is {len(value):,} characters long; at most {max_chars:,} are read")
    return value


def read_texts(document: Any, key: str, *, where: str = "", count: int | None = None, of: str = "",
               max_chars: int = MAX_TEXT_CHARS, default: Any = ...) -> list[str]:
    """``document[key]``: a list of texts (``count`` of them when given, ``of`` saying what each is for)."""
    value = _value(document, key, where, default)
    if value is default:
        return value
    each = f" ({of})" if of else ""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        bad = value if not isinstance(value, list) else next(v for v in value if not isinstance(v, str))
        raise DocumentError(f"{where}{key} must be a list of texts{each}, "
                            f"{'not' if bad is value else 'but holds'} {describe(bad)}")
    if count is not None and len(value) != count:
        raise DocumentError(f"{where}{key} must hold {count:,} texts{each}, not {len(value):,}")
    longest = max(value, key=len, default="")
    if len(longest) > max_chars:
        raise DocumentError(f"{where}{key} holds a text {len(longest):,} characters long; at most "
                            f"{max_chars:,} are read")
    return value


def read_object(document: Any, key: str, *, where: str = "", default: Any = ...) -> dict[str, Any]:
    """``document[key]``: a JSON object (null counts as missing)."""
    value = _value(document, key, where, default)
    if value is default:
        return value
    if not isinstance(value, dict):
        raise DocumentError(f"{where}{key} must be an object ({{…}}), not {describe(value)}")
    return value


def check_names(names: Any, what: str, *, where: str, max_names: int = MAX_NAMES) -> list[str]:
    """Names of methods, variants, metrics (an object's keys or a list): texts of 1 to ``MAX_NAME_CHARS``
    characters, at most ``max_names`` of them, no repeats."""
    names = list(names)
    if len(names) > max_names:
        raise DocumentError(f"{where} names {len(names):,} {what}s; at most {max_names:,} are read")
    for name in names:
        if not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME_CHARS:
            shown = describe(name) if not isinstance(name, str) else f"a text {len(name):,} characters long"
            raise DocumentError(f"{where}: a {what} name must be a text of 1 to {MAX_NAME_CHARS} characters, "
                                f"not {shown}")
    if len(set(names)) != len(names):
        raise DocumentError(f"{where} names a {what} twice")
    return names


def _shape_text(shape: tuple[int | str, ...]) -> str:
    return "".join(f"[{d:,}]" if isinstance(d, int) else f"[{d}]" for d in shape)


ELEMENTS = {"number": "numbers", "nullable": "numbers (or null)", "flag": "true/false values"}


def read_array(document: Any, key: str, *, shape: tuple[int | str, ...] | None = None, where: str = "",
               kind: str = "nullable", low: int = 0, high: int = MAX_ID, of: str = "",
               optional: bool = False) -> np.ndarray | None:
    """``document[key]`` as an array of ``shape`` (ints: exact sizes; a letter: any size from 1, e.g. "L" layers;
    None: any shape) with ``of`` naming its axes (e.g. "summary tokens × source tokens"). ``kind``: "nullable"
    (finite numbers, null → NaN; float64), "number" (finite numbers), "whole" (from ``low`` to ``high``; int64)
    or "flag" (true/false; bool). DocumentError naming the key and what is wrong otherwise; None when missing
    (or null) and ``optional``."""
    value = _value(document, key, where, None if optional else ...)
    if value is None:
        return None
    noun = ELEMENTS.get(kind, f"whole numbers from {low:,} to {high:,}")
    axes = f" ({of})" if of else ""
    if shape is None:
        what = f"a list of {noun}{axes}"
    elif len(shape) == 1:
        what = f"a list of {shape[0]:,} {noun}{axes}" if isinstance(shape[0], int) else f"a list of {noun}{axes}"
    else:
        what = f"{noun} in the shape {_shape_text(shape)}{axes}"
    if not isinstance(value, list):
        raise DocumentError(f"{where}{key} must be {what}, not {describe(value)}")
    try:
        cells = np.array(value, dtype=object)
    except (ValueError, TypeError, RecursionError):
        raise DocumentError(f"{where}{key} must be {what}; its lists differ in length or nest too deeply") from None
    flat = cells.ravel().tolist()
    if any(isinstance(v, list) for v in flat):
        raise DocumentError(f"{where}{key} must be {what}; its lists differ in length")
    if shape is not None:
        expected_size = math.prod(d if isinstance(d, int) else 1 for d in shape)
        if cells.size == 0 and cells.ndim < len(shape) and expected_size == 0:
            cells = cells.reshape(tuple(d if isinstance(d, int) else 0 for d in shape))
        wrong = cells.ndim != len(shape) or any(
            size != d if isinstance(d, int) else size < 1 for size, d in zip(cells.shape, shape))
        if wrong:
            raise DocumentError(f"{where}{key} must be {what}, not {_shape_text(cells.shape) or 'a single value'}")
    if kind == "flag":
        good = [isinstance(v, bool) for v in flat]
    elif kind == "whole":
        good = [is_whole(v) and low <= v <= high for v in flat]
    else:
        good = [is_number(v) or kind == "nullable" and v is None for v in flat]
    if not all(good):
        bad = flat[good.index(False)]
        raise DocumentError(f"{where}{key} must be {what}, but holds {describe(bad)}")
    if kind == "flag":
        return np.array(flat, dtype=bool).reshape(cells.shape)
    if kind == "whole":
        return np.array(flat, dtype=np.int64).reshape(cells.shape)
    return np.array([math.nan if v is None else float(v) for v in flat], dtype=np.float64).reshape(cells.shape)


def check_plain(value: Any, path: str) -> Any:
    """A free-form block (params, checks, cost, decoding): JSON values only (null, true/false, finite numbers,
    whole numbers within ±2⁶³, texts, lists, objects), at most ``MAX_DEPTH`` deep and ``MAX_BLOCK_VALUES``
    values; → the value itself. DocumentError naming the first thing that is not."""
    pending, seen = [(value, path, 0)], 0
    while pending:
        item, where, depth = pending.pop()
        seen += 1
        if seen > MAX_BLOCK_VALUES:
            raise DocumentError(f"{path} holds more than {MAX_BLOCK_VALUES:,} values")
        if isinstance(item, dict) or isinstance(item, list):
            if depth >= MAX_DEPTH:
                raise DocumentError(f"{path} nests deeper than {MAX_DEPTH} levels (at {where})")
            children = item.items() if isinstance(item, dict) else enumerate(item)
            for k, child in children:
                if isinstance(k, str) and len(k) > MAX_NAME_CHARS:
                    raise DocumentError(f"{where} has a key {len(k):,} characters long; at most "
                                        f"{MAX_NAME_CHARS} are read")
                pending.append((child, f"{where}.{k}" if isinstance(item, dict) else f"{where}[{k}]", depth + 1))
        elif isinstance(item, str):
            if len(item) > MAX_TEXT_CHARS:
                raise DocumentError(f"{where} is {len(item):,} characters long; at most {MAX_TEXT_CHARS:,} are read")
        elif is_whole(item):
            if abs(item) > MAX_INT:
                raise DocumentError(f"{where} must be a whole number within ±{MAX_INT:,}, not {describe(item)}")
        elif not (item is None or isinstance(item, bool) or is_number(item)):
            raise DocumentError(f"{where} must be a number, a text, true/false, null, a list or an object, "
                                f"not {describe(item)}")
    return value


def read_plain(document: Any, key: str, *, where: str = "", default: Any = ...) -> dict[str, Any]:
    """``document[key]``: an object of plain JSON values (``check_plain``)."""
    block = read_object(document, key, where=where, default=default)
    return block if block is default else check_plain(block, f"{where}{key}")


def read_field(document: dict[str, Any], key: str, kind: type | tuple[type, ...], *, where: str = "",
               default: Any = ...) -> Any:
    """``document[key]`` checked to be of ``kind``; DocumentError naming the key otherwise."""
    if not isinstance(document, dict) or key not in document:
        if default is not ...:
            return default
        raise DocumentError(f"{where}{key} is missing")
    value = document[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind in (int, float, (int, float)):
        words = {str: "a text", int: "a whole number", float: "a number", (int, float): "a number", list: "a list",
                 dict: "an object", bool: "true or false"}.get(kind, "another kind of value")
        raise DocumentError(f"{where}{key} must be {words}, not {describe(value)}")
    return value


@contextmanager
def built_from_document(prefix: str) -> Iterator[None]:
    """Around building a result from fields already read: a check of its ``__post_init__`` that the readers
    missed becomes a DocumentError whose message starts with ``prefix``."""
    try:
        yield
    except DocumentError:
        raise
    except ValueError as exc:
        raise DocumentError(f"{prefix}{exc}") from None

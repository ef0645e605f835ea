"""Text from a file the user gave (CLI --file, app upload): UTF-8 only, no binary, within the size limit."""
from __future__ import annotations

from attnviz.errors import InputError

MAX_TEXT_CHARS = 1_000_000


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 bytes (a BOM is dropped) → text; InputError naming ``name`` for binary, non-UTF-8 or huge files."""
    if b"\x00" in data:
        raise InputError(f"{name} looks binary (it has NUL bytes), not like a text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{name} is not UTF-8 text") from None
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(f"{name} has {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}")
    return text

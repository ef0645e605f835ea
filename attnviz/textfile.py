"""Files the user names (CLI --file, a pairs or predictions file, the page's upload): regular files only, read
with a cap, UTF-8 only, no binary; and the text in them checked to hold something visible."""
from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from attnviz.errors import InputError
from attnviz.userinput import has_visible, shown_name

MAX_TEXT_CHARS = 1_000_000
MAX_TEXT_BYTES = 4 * MAX_TEXT_CHARS          # UTF-8 takes at most 4 bytes a character
MAX_LIST_BYTES = 200 * 2**20                 # a JSONL file of pairs or predictions
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


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


def check_visible(text: str, what: str = "the text") -> str:
    """``text`` if it holds a visible character (a letter, number, punctuation mark or symbol); InputError
    otherwise: empty text and text of only spaces, controls, word joiners, tags or variation selectors."""
    if not has_visible(text):
        kind = "empty" if not text.strip() else "empty of anything visible (only spaces, controls, joiners or marks)"
        raise InputError(f"{what} is {kind}: paste or type some words to summarize")
    return text


def read_user_file(path: str | Path, *, limit: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them; InputError in one line for anything
    else (missing, unreadable, a folder, a pipe, a device, over the limit). A pipe is never waited on: the file
    is opened without blocking and checked before a byte is read."""
    name = shown_name(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a usable path"
        raise InputError(f"cannot read {name}: {reason[:1].lower() + reason[1:]}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((k for test, k in _KINDS if test(mode)), "not a regular file")
            raise InputError(f"{name} is {kind}; give the path of a text file")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise InputError(f"{name} has more than {limit:,} bytes; at most {limit:,} are read")
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(f"cannot read {name}: {(exc.strerror or 'read error').lower()}") from None
    finally:
        os.close(fd)


def read_text_file(path: str | Path) -> str:
    """A user's text file (``-``: standard input, read with the same cap) as text."""
    if str(path) == "-":
        data = sys.stdin.buffer.read(MAX_TEXT_BYTES + 1)
        if len(data) > MAX_TEXT_BYTES:
            raise InputError(f"standard input has more than {MAX_TEXT_BYTES:,} bytes; at most that many are read")
        return decode_text(data, "standard input")
    return decode_text(read_user_file(path), shown_name(path))


def check_output_folder(out: str | Path, what: str = "the output") -> None:
    """Before any work: ``out`` must be a folder that exists or can be made, and can be written to; ``what``
    is written there (for the message). An empty name is refused, not taken as the current folder."""
    if not str(out).strip():
        raise InputError(f"cannot write {what}: the folder's name is empty (give . for the current folder)")
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".attnviz-write-test"
        probe.write_text("", encoding="utf-8")
        probe.unlink()
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a usable path"
        raise InputError(f"cannot write {what} to {shown_name(out)}: {reason[:1].lower() + reason[1:]}") from None


def check_output_file(path: Path) -> None:
    """Before any work: ``path`` must name a file (not a folder) that can be created or written, in a folder
    that exists; probed by opening it for appending (a file the probe created is removed again)."""
    name = shown_name(path)
    if not str(path).strip() or path.is_dir():
        raise InputError(f"cannot write to {name}: name a file, not a folder")
    if path.exists() and not path.is_file():             # a pipe would block the probe below until read
        raise InputError(f"cannot write to {name}: it is not a regular file (a pipe, a device or a socket)")
    if not path.parent.is_dir():
        raise InputError(f"cannot write to {name}: the folder {shown_name(path.parent)} does not exist")
    existed = path.exists()
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a usable path"
        raise InputError(f"cannot write to {name}: {reason[:1].lower() + reason[1:]}") from None
    if not existed:
        path.unlink(missing_ok=True)


def write_user_file(path: Path, text: str) -> None:
    """``text`` written to ``path`` (checked before the work by ``check_output_file``); InputError in one line
    when writing fails anyway (a full disk)."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write to {shown_name(path)}: {(exc.strerror or 'write error').lower()}") from None

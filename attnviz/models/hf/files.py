"""The files of a Hugging Face folder, read only when they are regular files inside it.

A link may point elsewhere inside the folder, or, where the folder is a snapshot of the Hugging Face cache
(``…/snapshots/<revision>``), into that cache's ``blobs`` folder, which is where the cache keeps the files
its snapshots link to; a link anywhere else, a link that cannot be followed, a FIFO or a device is refused.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from attnviz.errors import CheckpointError

JSON_LIMIT = 2**20                   # config.json, generation_config.json, tokenizer_config.json: 1 MB at most
LONGEST_INTEGER = 100                # digits; longer integers are read as a LongNumber, not converted


class LongNumber:
    """An integer written with more digits than any size or token id has (JSON allows any length; Python
    converts at most 4,300 digits): kept as its length, so that the field holding it can be named."""

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"a number of {self.digits:,} digits"


def _integer(digits: str) -> int | LongNumber:
    return int(digits) if len(digits) <= LONGEST_INTEGER else LongNumber(len(digits.lstrip("-")))


def folder_file(folder: Path, name: str) -> Path | None:
    """``folder / name`` if it is a regular file inside the folder (see the module docstring); None if there
    is no such name; CheckpointError for anything else."""
    path = folder / name
    if not os.path.lexists(path):
        return None
    try:
        real, root = path.resolve(strict=True), folder.resolve(strict=True)
    except (OSError, RuntimeError):
        raise CheckpointError(f"{path} is a link that leads nowhere (its target is missing or it links to "
                              "itself)") from None
    allowed = [root] + ([root.parent.parent / "blobs"] if root.parent.name == "snapshots" else [])
    if not any(real.is_relative_to(place) for place in allowed):
        raise CheckpointError(f"{path} links outside the model folder (to {real}); attnviz reads only files "
                              "inside the folder")
    if not real.is_file():
        raise CheckpointError(f"{path} is not a regular file; attnviz reads only regular files from a model folder")
    return path


def read_folder_json(path: Path, limit: int = JSON_LIMIT) -> Any:
    """A JSON file of the folder (already checked by ``folder_file``): refused when empty, over ``limit``
    bytes, not UTF-8 text, not JSON or nested too deeply (an integer of more than ``LONGEST_INTEGER`` digits
    is read as a ``LongNumber``)."""
    with path.open("rb") as stream:
        data = stream.read(limit + 1)
    if not data:
        raise CheckpointError(f"{path} is empty; save the model again with save_pretrained, or remove the file")
    if len(data) > limit:
        raise CheckpointError(f"{path} has more than {limit:,} bytes, more than attnviz reads of such a file")
    try:
        return json.loads(data.decode("utf-8"), parse_int=_integer)
    except UnicodeDecodeError as exc:
        raise CheckpointError(f"{path} is not JSON: it is not UTF-8 text (byte {exc.start:,} is "
                              f"0x{data[exc.start]:02x})") from None
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{path} is not valid JSON: {exc.msg[:1].lower()}{exc.msg[1:]} at line {exc.lineno:,}, "
                              f"column {exc.colno:,}") from None
    except RecursionError:
        raise CheckpointError(f"{path} nests too deeply to be a model file") from None


def json_object(folder: Path, name: str, limit: int = JSON_LIMIT) -> dict[str, Any] | None:
    """The JSON object in ``folder / name`` (None when there is no such file); CheckpointError when the file
    is not a regular file inside the folder or does not hold a JSON object."""
    path = folder_file(folder, name)
    if path is None:
        return None
    data = read_folder_json(path, limit)
    if not isinstance(data, dict):
        raise CheckpointError(f"{path} must hold a JSON object ({{...}}), not {json_kind(data)}")
    return data


def json_kind(value: Any) -> str:
    """What a JSON value is, in JSON's words (an array, a string, a number, true, false, null)."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    kinds = {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number"}
    return kinds.get(type(value), "a value")


def shown(value: Any) -> str:
    """A value as the JSON it was written in, cut to 40 characters: "512", 32.0, true, null."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"

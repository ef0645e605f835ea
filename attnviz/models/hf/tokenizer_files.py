"""A Hugging Face folder's tokenizer: its files checked before transformers reads them (inside the folder,
regular, bounded, JSON where JSON is expected, tokenizer.json buildable by the tokenizers library), and the
tokenizer transformers builds checked against the model's vocabulary.

A tokenizer may know a few special tokens the model's vocabulary lacks (bart-large-cnn's ``<mask>`` is
id 50,264 of a vocabulary of 50,264), but never an ordinary token, never a token it puts around every text,
and never its unknown, padding or end token.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from attnviz.errors import CheckpointError, first_line
from attnviz.models.hf.files import folder_file, json_kind, json_object, read_folder_json, shown
from attnviz.models.hf.sizes import ConfigSizes

TOKENIZER_FILES = ("tokenizer.json", "spiece.model", "source.spm", "sentencepiece.bpe.model", "vocab.json")
SIDE_FILES = ("tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "target.spm", "merges.txt",
              "vocab.txt", "chat_template.jinja", "chat_template.json")
JSON_SIDE_FILES = ("tokenizer_config.json", "special_tokens_map.json", "added_tokens.json")
TOKENIZER_LIMIT = 64 * 2**20          # mBART-50's tokenizer.json has 17 MB
CLASS_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,99}")
PROBE_TEXT = "a b"                    # encoded to find the tokens a tokenizer puts around every text


def check_tokenizer_files(folder: Path, sizes: ConfigSizes) -> None:
    """The tokenizer's files checked from the files alone (see the module docstring); CheckpointError naming
    the file (and the field) otherwise."""
    present: dict[str, Path] = {}
    for name in TOKENIZER_FILES + SIDE_FILES:
        path = folder_file(folder, name)
        if path is not None:
            if path.stat().st_size > TOKENIZER_LIMIT:
                raise CheckpointError(f"{path} has {path.stat().st_size:,} bytes; a tokenizer file may have at most "
                                      f"{TOKENIZER_LIMIT:,}")
            present[name] = path
    if not any(name in present for name in TOKENIZER_FILES):
        raise CheckpointError(f"{folder}: no tokenizer (expected tokenizer.json or a sentencepiece model); save "
                              "the tokenizer with save_pretrained into the same folder")
    for name in JSON_SIDE_FILES:
        if name in present:
            json_object(folder, name)
    tokenizer_class(folder)
    if "tokenizer.json" in present:
        _check_tokenizer_json(present["tokenizer.json"], sizes)
    elif "vocab.json" in present:
        json_object(folder, "vocab.json", TOKENIZER_LIMIT)


def tokenizer_class(folder: Path) -> str | None:
    """The tokenizer_class tokenizer_config.json names (None where it names none); CheckpointError when it
    is not a class name."""
    config = json_object(folder, "tokenizer_config.json") or {}
    name = config.get("tokenizer_class")
    if name is not None and not (isinstance(name, str) and CLASS_NAME.fullmatch(name)):
        raise CheckpointError(f"{folder / 'tokenizer_config.json'}: tokenizer_class must name a tokenizer class "
                              f"such as \"BartTokenizer\", not {shown(name)}")
    return name


def _check_tokenizer_json(path: Path, sizes: ConfigSizes) -> None:
    """tokenizer.json: an object with a model and a list of added tokens, that the tokenizers library builds,
    whose tokens fit the model's vocabulary."""
    data = read_folder_json(path, TOKENIZER_LIMIT)
    if not isinstance(data, dict):
        raise CheckpointError(f"{path} must hold a JSON object ({{...}}), not {json_kind(data)}")
    if not isinstance(data.get("model"), dict):
        raise CheckpointError(f"{path}: model must be an object describing the tokenizer's vocabulary, not "
                              f"{json_kind(data['model']) if 'model' in data else 'missing'}")
    added = data.get("added_tokens")
    if not isinstance(added, list):
        raise CheckpointError(f"{path}: added_tokens must be a list of the tokenizer's added tokens, not "
                              f"{json_kind(added) if 'added_tokens' in data else 'missing'}")
    from tokenizers import Tokenizer

    try:
        core = Tokenizer.from_str(path.read_text(encoding="utf-8"))
        vocabulary = core.get_vocab(with_added_tokens=True)
        around = core.encode(PROBE_TEXT).ids
    except Exception as exc:  # noqa: BLE001 — the tokenizers library raises plain Exceptions
        raise CheckpointError(f"{path} is damaged: the tokenizers library cannot build a tokenizer from it "
                              f"({first_line(exc)})") from None
    special = {entry.get("id") for entry in added if isinstance(entry, dict) and entry.get("special")}
    _check_ids(path, sizes, vocabulary, special, {"": around})


def check_loaded_tokenizer(tokenizer: Any, folder: Path, sizes: ConfigSizes) -> None:
    """The tokenizer transformers built fits the model's vocabulary (a tokenizer_class that does not match the
    files can build one that does not); CheckpointError naming tokenizer_config.json's tokenizer_class, or the
    tokenizer's file, otherwise."""
    named = tokenizer_class(folder)
    source = (f"{folder / 'tokenizer_config.json'}: tokenizer_class {shown(named)}" if named else
              str(next((folder / n for n in TOKENIZER_FILES if (folder / n).is_file()), folder)))
    try:
        vocabulary = tokenizer.get_vocab()
        special = set(tokenizer.all_special_ids)
        around = list(tokenizer(PROBE_TEXT).input_ids)
    except Exception as exc:  # noqa: BLE001 — tokenizers of every kind raise every kind of exception
        raise CheckpointError(f"{source}: the tokenizer transformers builds from it cannot encode a text "
                              f"({first_line(exc)})") from None
    own = {name: getattr(tokenizer, f"{name}_token_id", None) for name in ("unk", "pad", "eos")}
    used = {"": around, **{role: [i] for role, i in own.items() if i is not None}}
    _check_ids(source, sizes, vocabulary, special, used)


def _check_ids(source: Path | str, sizes: ConfigSizes, vocabulary: dict[str, int], special: set[int],
               used: dict[str, list[int]]) -> None:
    """Refuses ordinary tokens beyond the model's vocabulary, and the ids in ``used`` (the encoding of
    ``PROBE_TEXT`` under "", the unknown, padding and end tokens under their names) beyond it."""
    count = sizes.token_ids

    def token(i: int) -> str:
        return shown(next((text for text, j in vocabulary.items() if j == i), "?"))

    where = f"the model's vocabulary (config.json: {sizes.written('vocab_size')} is {count:,})"
    beyond = sorted(i for i in vocabulary.values() if i >= count and i not in special)
    if beyond:
        raise CheckpointError(f"{source}: {len(beyond):,} of the tokenizer's tokens lie beyond {where}; the first "
                              f"is {token(beyond[0])} (id {beyond[0]:,})")
    for role, ids in used.items():
        for i in ids:
            if not 0 <= i < count:
                named = f"{token(i)} (id {i:,})"
                what = f"'s {role} token {named} lies" if role else f" puts {named} around every text,"
                raise CheckpointError(f"{source}: the tokenizer{what} beyond {where}")

"""A Hugging Face encoder-decoder saved with ``save_pretrained``, checked before anything is loaded.

The folder must hold ``config.json`` of a supported family, safetensors weights (``model.safetensors`` or a
sharded index) and a tokenizer. Nothing is downloaded, no custom code runs (``auto_map`` is refused), and
pickle weights (``*.bin``, ``*.pt``, ``*.ckpt``) are refused with the reason.

``check_folder`` reads only the files (JSON, the safetensors headers, tokenizer.json through the tokenizers
library) and checks them before transformers builds anything: the config's sizes (``sizes``), the token ids
of config.json and generation_config.json, the weights' shapes against the sizes (``shapes``), and the
tokenizer's files (``tokenizer_files``); every file read is a regular file inside the folder (``files``).
``load_folder`` then has transformers build the config, the tokenizer and the model on the meta device
(no memory), compares them with the files, and only then loads the weights. Every failure is one
``CheckpointError`` sentence naming the file and the field.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from attnviz.errors import CheckpointError, first_line
from attnviz.models.folders import FLOAT_DTYPES
from attnviz.models.hf.files import folder_file, json_object, read_folder_json, shown
from attnviz.models.hf.shapes import StoredShapes, check_built_shapes, check_stored_shapes
from attnviz.models.hf.sizes import (
    MAX_HF_PARAMETERS,
    ConfigSizes,
    check_shares_and_flags,
    check_sizes,
    check_token_ids,
)
from attnviz.models.hf.tokenizer_files import (
    TOKENIZER_FILES,
    check_loaded_tokenizer,
    check_tokenizer_files,
    tokenizer_class,
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")              # never reach for the network
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

FAMILIES = ("bart", "mbart", "t5", "mt5", "marian", "pegasus")
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
INDEX_LIMIT = 16 * 2**20
__all__ = ["FAMILIES", "MAX_HF_PARAMETERS", "TOKENIZER_FILES", "CheckedFolder", "check_folder",
           "is_transformers_folder", "load_folder"]


class CheckedFolder(dict):
    """A checked folder's config.json (a dict, as before), with its checked ``sizes`` and the weights' tensor
    shapes (``stored``) attached."""

    sizes: ConfigSizes
    stored: StoredShapes


def is_transformers_folder(path: Path) -> bool:
    """Whether ``path`` looks like a Hugging Face model folder (a config.json with a "model_type")."""
    config = Path(path) / "config.json"
    if not config.is_file():
        return False
    try:
        return isinstance(data := read_folder_json(config), dict) and "model_type" in data
    except (CheckpointError, OSError):
        return False


def check_folder(folder: Path) -> CheckedFolder:
    """The folder's config (a dict) if it can be loaded as a supported encoder-decoder; CheckpointError
    otherwise. Reads only JSON files, the safetensors headers and tokenizer.json."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CheckpointError(f"model folder not found: {folder}")
    config_path = folder / "config.json"
    config = json_object(folder, "config.json")
    if config is None:
        raise CheckpointError(f"checkpoint file missing: {config_path}")
    family = config.get("model_type")
    if family not in FAMILIES or config.get("is_encoder_decoder") is False:
        raise CheckpointError(f"{folder}: model_type {shown(family)} is not a supported encoder-decoder; attnviz "
                              f"explains {', '.join(FAMILIES)} models")
    if "auto_map" in config:
        raise CheckpointError(f"{folder}: the config asks for custom code (auto_map), which attnviz never runs")
    sizes = check_sizes(config, family, config_path)
    check_shares_and_flags(config, config_path)
    check_token_ids(config, config_path, sizes)
    _check_generation_config(folder, sizes)
    stored = _read_weights(folder)
    check_stored_shapes(stored, sizes, config_path)
    check_tokenizer_files(folder, sizes)
    checked = CheckedFolder(config)
    checked.sizes, checked.stored = sizes, stored
    return checked


def _check_generation_config(folder: Path, sizes: ConfigSizes) -> None:
    """generation_config.json, where there is one: a non-empty JSON object whose token ids are in the
    vocabulary and which names the token the decoder starts from (transformers reads none from config.json
    once this file exists)."""
    path = folder / "generation_config.json"
    generation = json_object(folder, path.name)
    if generation is None:
        return
    check_token_ids(generation, path, sizes)
    if generation.get("decoder_start_token_id") is None and generation.get("bos_token_id") is None:
        raise CheckpointError(f"{path}: decoder_start_token_id is missing (nor is there a bos_token_id), and the "
                              "decoder needs a token to start from")


def _read_weights(folder: Path) -> StoredShapes:
    """The shape of every stored tensor; the weights present, inside the folder, readable, floating-point and
    within ``MAX_HF_PARAMETERS``."""
    from safetensors import SafetensorError, safe_open

    index = folder_file(folder, "model.safetensors.index.json")
    if index is not None:
        mapping = read_folder_json(index, INDEX_LIMIT)
        weight_map = mapping.get("weight_map") if isinstance(mapping, dict) else None
        listed = list(weight_map.values()) if isinstance(weight_map, dict) else []
        if not listed or not all(isinstance(n, str) and n and "/" not in n and "\\" not in n for n in listed):
            raise CheckpointError(f"{index}: weight_map must map each tensor to a weight file of this folder "
                                  "(a file name, no path)")
        names = sorted(set(listed))
    else:
        names = ["model.safetensors"]
    files = [folder_file(folder, name) for name in names]
    if not all(files):
        pickles = sorted(p.name for p in folder.iterdir() if p.suffix in PICKLE_SUFFIXES)
        if pickles:
            raise CheckpointError(f"{folder}: the weights are pickle files ({', '.join(pickles)}), which attnviz "
                                  "never loads (unpickling can run code); save the model again with save_pretrained, "
                                  "which writes model.safetensors")
        raise CheckpointError(f"{folder}: weights missing ({next(n for n, f in zip(names, files) if f is None)})")
    stored: StoredShapes = {}
    total = 0
    for path in files:
        try:
            with safe_open(str(path), framework="pt") as weights:
                for name in weights.keys():
                    piece = weights.get_slice(name)
                    if piece.get_dtype() not in FLOAT_DTYPES:
                        raise CheckpointError(f"{path}: {name} holds {piece.get_dtype()}, not floating-point numbers")
                    shape = tuple(piece.get_shape())
                    stored[name] = (path.name, shape)
                    count = 1
                    for size in shape:
                        count *= size
                    total += count
        except (SafetensorError, OSError, ValueError) as exc:
            raise CheckpointError(f"cannot load weights from {path}: damaged or not a safetensors file "
                                  f"({first_line(exc)})") from None
    if total > MAX_HF_PARAMETERS:
        raise CheckpointError(f"{folder}: the model has {total:,} parameters; attnviz loads at most "
                              f"{MAX_HF_PARAMETERS:,}")
    return stored


def load_folder(folder: Path, device: Any) -> tuple[Any, Any, CheckedFolder]:
    """(model in eval mode on ``device`` with eager attention, tokenizer, config) of a checked folder."""
    folder = Path(folder)
    config = check_folder(folder)
    import torch
    import transformers
    from transformers import AutoConfig, AutoModelForSeq2SeqLM, AutoTokenizer, GenerationConfig

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()             # no "Loading weights" bars on stderr or in server logs
    config_path = folder / "config.json"
    model_config = _transformers_reads(folder, "config.json", AutoConfig, trust_remote_code=False)
    if (folder / "generation_config.json").is_file():
        _transformers_reads(folder, "generation_config.json", GenerationConfig)
    _check_activation(model_config, config_path)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False)
    except Exception as exc:  # noqa: BLE001 — transformers raises many kinds; the user gets one line
        raise CheckpointError(_tokenizer_failure(folder, exc)) from None
    check_loaded_tokenizer(tokenizer, folder, config.sizes)
    try:
        with torch.device("meta"):                           # shapes only: no memory, no initialisation
            skeleton = AutoModelForSeq2SeqLM.from_config(model_config, attn_implementation="eager")
        expected = {name: tuple(tensor.shape) for name, tensor in skeleton.state_dict().items()}
    except Exception as exc:  # noqa: BLE001
        raise CheckpointError(f"{config_path}: transformers cannot build a model from these sizes "
                              f"({_library_words(exc)})") from None
    check_built_shapes(expected, config.stored, config.sizes, config_path)
    try:
        model = AutoModelForSeq2SeqLM.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False,
                                                      use_safetensors=True, attn_implementation="eager")
    except Exception as exc:  # noqa: BLE001
        raise CheckpointError(f"{folder}: transformers cannot load the model ({_library_words(exc)})") from None
    return model.float().to(device).eval(), tokenizer, config


def _transformers_reads(folder: Path, name: str, kind: Any, **options: Any) -> Any:
    """``kind.from_pretrained`` of the folder (AutoConfig, GenerationConfig): the file as transformers reads
    it, which refuses values attnviz does not check itself, in its own words after ours."""
    try:
        return kind.from_pretrained(str(folder), local_files_only=True, **options)
    except Exception as exc:  # noqa: BLE001 — only transformers can say what it refuses
        raise CheckpointError(f"{folder / name}: transformers refuses a value in it ({_library_words(exc)})") from None


def _library_words(exc: Exception) -> str:
    """A library's message in one line: its first line (with the next where the first ends in a colon), without
    an exception class's name in front, cut to 200 characters."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
    text = " ".join(lines[:2]) if lines[0].endswith(":") and lines[1:] else lines[0]
    text = re.sub(r"\b[A-Z]\w*(Error|Exception|Warning): ", "", text)
    return text if len(text) <= 200 else text[:199] + "…"


def _check_activation(built: Any, config_path: Path) -> None:
    """The config's activation is one transformers has (an unknown one fails only when the model is built)."""
    from transformers.activations import ACT2FN

    field = "feed_forward_proj" if hasattr(built, "dense_act_fn") else "activation_function"
    name = getattr(built, "dense_act_fn", None) or getattr(built, "activation_function", None)
    if not isinstance(name, str) or name not in ACT2FN:
        raise CheckpointError(f"{config_path}: {field} must name an activation transformers has, such as \"gelu\" "
                              f"or \"relu\", not {shown(getattr(built, field, name))}")


def _tokenizer_failure(folder: Path, exc: Exception) -> str:
    """The sentence for a tokenizer transformers cannot build: tokenizer_config.json's tokenizer_class where
    it names one, the folder's tokenizer files otherwise; the library's words after ours."""
    files = ", ".join(name for name in TOKENIZER_FILES if (folder / name).is_file())
    named = tokenizer_class(folder)
    where = f"{folder}: the tokenizer"
    if named:
        where = f"{folder / 'tokenizer_config.json'}: tokenizer_class {shown(named)}"
    if isinstance(exc, ImportError):
        return f"{where} needs a library that is not installed ({first_line(exc).split('. ')[0]})"
    if named:
        return (f"{where} cannot be built from this folder's tokenizer files ({files}); remove tokenizer_class or "
                "save the tokenizer again with save_pretrained")
    return f"{where} cannot be built from {files}; save it again with save_pretrained ({_library_words(exc)})"

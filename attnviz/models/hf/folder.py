"""A Hugging Face encoder-decoder saved with ``save_pretrained``, checked before anything is loaded.

The folder must hold ``config.json`` of a supported family, safetensors weights (``model.safetensors`` or a
sharded index) and a tokenizer. Nothing is downloaded, no custom code runs (``auto_map`` is refused), and
pickle weights (``*.bin``, ``*.pt``, ``*.ckpt``) are refused with the reason. Every failure is one
``CheckpointError`` line naming the folder and what is wrong.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from attnviz.errors import CheckpointError, first_line
from attnviz.models.folders import FLOAT_DTYPES, read_json

os.environ.setdefault("HF_HUB_OFFLINE", "1")              # never reach for the network
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

FAMILIES = ("bart", "mbart", "t5", "mt5", "marian", "pegasus")
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
TOKENIZER_FILES = ("tokenizer.json", "spiece.model", "source.spm", "sentencepiece.bpe.model", "vocab.json")
MAX_HF_PARAMETERS = 1_000_000_000     # 4 GB of float32 weights: a folder beyond it is refused before loading


def is_transformers_folder(path: Path) -> bool:
    """Whether ``path`` looks like a Hugging Face model folder (a config.json with a "model_type")."""
    config = Path(path) / "config.json"
    if not config.is_file():
        return False
    try:
        return isinstance(data := read_json(config), dict) and "model_type" in data
    except CheckpointError:
        return False


def check_folder(folder: Path) -> dict[str, Any]:
    """The folder's config (a dict) if it can be loaded as a supported encoder-decoder; CheckpointError
    otherwise. Reads only JSON files and the safetensors headers."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CheckpointError(f"model folder not found: {folder}")
    config = read_json(folder / "config.json")
    if not isinstance(config, dict):
        raise CheckpointError(f"{folder / 'config.json'} is not a model config (not a JSON object)")
    family = config.get("model_type")
    if family not in FAMILIES or config.get("is_encoder_decoder") is False:
        raise CheckpointError(f"{folder}: model_type {family!r} is not a supported encoder-decoder; attnviz explains "
                              f"{', '.join(FAMILIES)} models")
    if "auto_map" in config:
        raise CheckpointError(f"{folder}: the config asks for custom code (auto_map), which attnviz never runs")
    _check_weights(folder)
    if not any((folder / name).is_file() for name in TOKENIZER_FILES):
        raise CheckpointError(f"{folder}: no tokenizer (expected tokenizer.json or a sentencepiece model); save "
                              "the tokenizer with save_pretrained into the same folder")
    generation = folder / "generation_config.json"
    if generation.is_file() and not isinstance(read_json(generation), dict):
        raise CheckpointError(f"{generation} is not a generation config (not a JSON object)")
    return config


def _check_weights(folder: Path) -> None:
    """Safetensors weights present, readable, floating-point and within ``MAX_HF_PARAMETERS``."""
    from safetensors import SafetensorError, safe_open

    index = folder / "model.safetensors.index.json"
    if index.is_file():
        mapping = read_json(index, 16 * 2**20)
        names = sorted(set((mapping.get("weight_map") or {}).values())) if isinstance(mapping, dict) else []
        files = [folder / name for name in names if "/" not in name and "\\" not in name]
        if not files or len(files) != len(names):
            raise CheckpointError(f"{index} lists no weight files in this folder")
    else:
        files = [folder / "model.safetensors"]
    if not all(f.is_file() for f in files):
        pickles = sorted(p.name for p in folder.iterdir() if p.suffix in PICKLE_SUFFIXES)
        if pickles:
            raise CheckpointError(f"{folder}: the weights are pickle files ({', '.join(pickles)}), which attnviz "
                                  "never loads (unpickling can run code); save the model again with save_pretrained, "
                                  "which writes model.safetensors")
        missing = next(f for f in files if not f.is_file())
        raise CheckpointError(f"{folder}: weights missing ({missing.name})")
    total = 0
    for path in files:
        try:
            with safe_open(str(path), framework="pt") as stored:
                for name in stored.keys():
                    piece = stored.get_slice(name)
                    if piece.get_dtype() not in FLOAT_DTYPES:
                        raise CheckpointError(f"{path}: {name} holds {piece.get_dtype()}, not floating-point numbers")
                    count = 1
                    for size in piece.get_shape():
                        count *= size
                    total += count
        except (SafetensorError, OSError, ValueError) as exc:
            raise CheckpointError(f"cannot load weights from {path}: damaged or not a safetensors file "
                                  f"({first_line(exc)})") from None
    if total > MAX_HF_PARAMETERS:
        raise CheckpointError(f"{folder}: the model has {total:,} parameters; attnviz loads at most "
                              f"{MAX_HF_PARAMETERS:,}")


def load_folder(folder: Path, device: Any) -> tuple[Any, Any, dict[str, Any]]:
    """(model in eval mode on ``device`` with eager attention, tokenizer, config) of a checked folder."""
    config = check_folder(folder)
    import transformers
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()             # no "Loading weights" bars on stderr or in server logs
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False)
    except Exception as exc:  # noqa: BLE001 — transformers raises many kinds; the user gets one line
        raise CheckpointError(f"{folder}: cannot load the tokenizer ({first_line(exc, with_type=True)})") from None
    try:
        model = AutoModelForSeq2SeqLM.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False,
                                                      use_safetensors=True, attn_implementation="eager")
    except Exception as exc:  # noqa: BLE001
        raise CheckpointError(f"{folder}: cannot load the model ({first_line(exc, with_type=True)})") from None
    return model.float().to(device).eval(), tokenizer, config

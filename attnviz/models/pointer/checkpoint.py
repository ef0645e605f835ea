"""Checkpoints: a folder with safetensors weights, a JSON config and a JSON vocabulary. Never pickle."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_model, save_model

from attnviz.errors import CheckpointError, first_line
from attnviz.models.folders import FLOAT_DTYPES, read_json
from attnviz.models.pointer.config import ModelConfig
from attnviz.models.pointer.seq2seq import PointerGenerator
from attnviz.models.pointer.vocabulary import Vocabulary

FORMAT = "attnviz-checkpoint"
FORMAT_VERSION = 2      # 2: removal is part of the model (mask embedding, null attention slot)
WEIGHTS, CONFIG, VOCAB = "model.safetensors", "config.json", "vocab.json"
MAX_JSON_BYTES = {CONFIG: 1 * 2**20, VOCAB: 64 * 2**20}


def save_checkpoint(folder: Path, model: PointerGenerator, vocab: Vocabulary,
                    metadata: dict[str, Any] | None = None, *, half: bool = False) -> None:
    """Write weights (float16 with ``half``: loading turns them back into float32), config (with free-form
    ``metadata``, e.g. training settings) and vocabulary."""
    folder.mkdir(parents=True, exist_ok=True)
    if len(vocab) != model.config.vocab_size:
        raise ValueError(f"vocabulary has {len(vocab)} words but the model expects {model.config.vocab_size}")
    if half:
        copy = PointerGenerator(model.config)
        copy.load_state_dict(model.state_dict())
        model = copy.half()
    save_model(model, str(folder / WEIGHTS))
    config = {"format": FORMAT, "format_version": FORMAT_VERSION, "model": model.config.to_dict(),
              "metadata": metadata or {}}
    (folder / CONFIG).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    vocab.save(folder / VOCAB)


def _check_weights_header(weights: Path, config: ModelConfig) -> None:
    """The safetensors header against the shapes the config implies (a model built on the meta device, so
    nothing is allocated): known names, the same shapes, floating-point types. CheckpointError naming the
    first difference."""
    with torch.device("meta"):
        expected = {name: tuple(t.shape) for name, t in PointerGenerator(config).state_dict().items()}
    try:
        with safe_open(str(weights), framework="pt") as stored:
            found = {name: (tuple(stored.get_slice(name).get_shape()), stored.get_slice(name).get_dtype())
                     for name in stored.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"cannot load weights from {weights}: damaged or not a safetensors file "
                              f"({first_line(exc)})") from None
    for name, (shape, dtype) in sorted(found.items()):       # tied weights are stored once: load_model checks the rest
        if name not in expected:
            raise CheckpointError(f"cannot load weights from {weights}: not made for this config ({name} is not a "
                                  f"weight of it)")
        if shape != expected[name]:
            raise CheckpointError(f"cannot load weights from {weights}: not made for this config ({name} has shape "
                                  f"{list(shape)}, the config needs {list(expected[name])})")
        if dtype not in FLOAT_DTYPES:
            raise CheckpointError(f"cannot load weights from {weights}: {name} holds {dtype}, not floating-point numbers")


def read_config(folder: Path) -> tuple[ModelConfig, dict[str, Any]]:
    """The model config and metadata of a checkpoint folder, validated."""
    if not folder.is_dir():
        raise CheckpointError(f"checkpoint folder not found: {folder}")
    path = folder / CONFIG
    data = read_json(path, MAX_JSON_BYTES[CONFIG])
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an attnviz checkpoint config (no \"format\": \"{FORMAT}\")")
    if data.get("format_version") == 1:
        raise CheckpointError(f"{path} is a format-1 checkpoint, made before removal became part of the model "
                              f"(mask embedding, null attention slot); retrain it with python -m attnviz train")
    if data.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{path} has format version {data.get('format_version')!r}; "
                              f"this attnviz reads version {FORMAT_VERSION}")
    try:
        config = ModelConfig.from_dict(data["model"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path} holds an invalid model config: {exc}") from None
    return config, data.get("metadata", {})


def load_checkpoint(folder: Path, device: torch.device | str = "cpu") -> tuple[PointerGenerator, Vocabulary, dict[str, Any]]:
    """Rebuild the model from its stored config and load the weights, in eval mode on ``device``."""
    folder = Path(folder)
    config, metadata = read_config(folder)
    vocab_path = folder / VOCAB
    words = read_json(vocab_path, MAX_JSON_BYTES[VOCAB])
    if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
        raise CheckpointError(f"{vocab_path} is not a valid vocabulary: it must be a JSON list of non-empty strings")
    try:
        vocab = Vocabulary(words)
    except ValueError as exc:
        raise CheckpointError(f"{vocab_path} is not a valid vocabulary: {exc}") from None
    if len(vocab) != config.vocab_size:
        raise CheckpointError(f"{vocab_path} has {len(vocab)} words but {folder / CONFIG} says {config.vocab_size}")
    weights = folder / WEIGHTS
    if not weights.is_file():
        raise CheckpointError(f"checkpoint file missing: {weights}")
    _check_weights_header(weights, config)
    model = PointerGenerator(config)
    try:
        load_model(model, str(weights), strict=True)
    except (SafetensorError, RuntimeError, OSError, ValueError) as exc:
        raise CheckpointError(f"cannot load weights from {weights}: damaged or not made for this config "
                              f"({first_line(exc)})") from None
    bad = next((name for name, t in model.state_dict().items() if not torch.isfinite(t).all()), None)
    if bad is not None:
        raise CheckpointError(f"cannot load weights from {weights}: {bad} holds NaN or infinite values")
    model.to(device).eval().bind_vocabulary(vocab.words)
    return model, vocab, metadata

"""The weights' shapes against the config's sizes: from the safetensors headers alone (the embedding, the
number of layers), then against the model transformers would build, built on the meta device (no memory)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from attnviz.errors import CheckpointError
from attnviz.models.hf.sizes import ConfigSizes

EMBEDDING_NAMES = ("model.shared.weight", "shared.weight", "model.encoder.embed_tokens.weight",
                   "encoder.embed_tokens.weight")
LAYER_NAME = re.compile(r"(?:^|\.)(encoder|decoder)\.(?:layers|block)\.(\d+)\.")
StoredShapes = dict[str, tuple[str, tuple[int, ...]]]          # tensor name → (file name, shape)


def check_stored_shapes(stored: StoredShapes, sizes: ConfigSizes, config_path: Path) -> None:
    """The embedding in the weights is vocab_size × d_model, and the weights hold as many encoder and
    decoder layers as the config says; CheckpointError naming the field otherwise."""
    embedding = next((name for name in EMBEDDING_NAMES if name in stored), None)
    if embedding is not None:
        file, shape = stored[embedding]
        expected = (sizes.vocabulary, sizes.width)
        for axis, (field, what) in enumerate((("vocab_size", "rows"), ("d_model", "columns"))):
            if len(shape) != 2 or shape[axis] != expected[axis]:
                raise CheckpointError(f"{config_path}: {sizes.written(field)} ({expected[axis]:,}) does not match the "
                                      f"embedding in {file} ({embedding} is {_shape(shape)}, so it has "
                                      f"{shape[axis] if len(shape) == 2 else '?'} {what})")
    layers: dict[str, set[int]] = {"encoder": set(), "decoder": set()}
    for name in stored:
        if found := LAYER_NAME.search(name):
            layers[found.group(1)].add(int(found.group(2)))
    for side, field in zip(("encoder", "decoder"), sizes.layer_fields()):
        if layers[side] and max(layers[side]) + 1 != sizes.values[field]:
            file = next(file for name, (file, _) in stored.items() if LAYER_NAME.search(name))
            raise CheckpointError(f"{config_path}: {sizes.written(field)} is {sizes.values[field]:,}, but {file} holds "
                                  f"{max(layers[side]) + 1:,} {side} layers")


def check_built_shapes(expected: dict[str, Any], stored: StoredShapes, sizes: ConfigSizes, config_path: Path) -> None:
    """Every stored tensor the model has (``expected``: name → shape, from the model built on the meta device)
    has the shape the config gives it; CheckpointError naming the fields that size it otherwise."""
    for name, (file, shape) in stored.items():
        want = expected.get(name, expected.get(f"model.{name}"))
        if want is not None and tuple(want) != shape:
            fields = " or ".join(sizes.written(f) for f in _fields_of(name, sizes))
            raise CheckpointError(f"{config_path}: {fields} does not match the weights ({file} holds {name} as "
                                  f"{_shape(shape)}; the config makes it {_shape(tuple(want))})")


def _fields_of(name: str, sizes: ConfigSizes) -> tuple[str, ...]:
    """The config fields that size the tensor ``name``."""
    side = "decoder" if ".decoder." in f".{name}" else "encoder"
    if sizes.relative:
        heads = ("num_heads", "d_kv", "d_model")
        table = (("relative_attention_bias", ("relative_attention_num_buckets", "num_heads")),
                 ("DenseReluDense", ("d_ff", "d_model")), ("Attention.", heads))
    else:
        table = (("embed_positions", ("max_position_embeddings", "d_model")), ("fc1", (f"{side}_ffn_dim", "d_model")),
                 ("fc2", (f"{side}_ffn_dim", "d_model")))
    decoder_side = side == "decoder" or "lm_head" in name or "final_logits_bias" in name
    vocabulary = ("decoder_vocab_size" if decoder_side and not sizes.shared_embeddings else "vocab_size", "d_model")
    table += (("shared", vocabulary), ("embed_tokens", vocabulary), ("lm_head", vocabulary),
              ("final_logits_bias", vocabulary))
    return next((fields for part, fields in table if part in name), ("d_model",))


def _shape(shape: tuple[int, ...]) -> str:
    return " × ".join(f"{n:,}" for n in shape) or "a single number"

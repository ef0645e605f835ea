"""The sizes and token ids in a Hugging Face folder's config.json and generation_config.json, checked from
the files alone, before transformers builds anything.

Every size is a whole number within bounds (a string, a float or a boolean is refused, as are zero and
absurd values); attention heads divide the width they split; the token ids name tokens of the vocabulary;
and the parameters the sizes imply, estimated from the config alone, stay under ``MAX_HF_PARAMETERS``.
Fields go by each family's own names (BART, mBART, Marian and Pegasus: d_model, encoder_layers, …; T5 and
mT5: d_model, d_kv, num_heads, num_layers, …); a field the config leaves out takes transformers' default,
and a field written under one of the other names transformers accepts (hidden_size for d_model, …) is
read, and reported, under that name.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attnviz.errors import CheckpointError
from attnviz.models.hf.files import shown

MAX_HF_PARAMETERS = 1_000_000_000     # 4 GB of float32 weights: a folder beyond it is refused before loading
MAX_WIDTH = 65_536                    # d_model, d_kv
MAX_LAYERS = 256                      # per stack (the largest released summarizers have 24)
MAX_HEADS = 1_024
MAX_FEED_FORWARD = 262_144
MAX_VOCABULARY = 1_048_576            # mT5 has 250,112
MAX_POSITIONS = 1_048_576
MAX_BUCKETS = 4_096                   # T5's relative attention buckets
TOKEN_ID_FIELDS = ("decoder_start_token_id", "bos_token_id", "eos_token_id", "pad_token_id", "forced_bos_token_id",
                   "forced_eos_token_id")
TOKEN_LIST_FIELDS = ("eos_token_id", "forced_eos_token_id")        # these may also be a list of token ids
SHARE_FIELDS = ("dropout", "attention_dropout", "activation_dropout", "classifier_dropout", "encoder_layerdrop",
                "decoder_layerdrop", "dropout_rate")                   # probabilities: numbers from 0 to 1
FLAG_FIELDS = ("scale_embedding", "use_cache", "tie_word_embeddings", "share_encoder_decoder_embeddings",
               "normalize_before", "add_final_layer_norm", "static_position_embeddings")
RELATIVE_FAMILIES = ("t5", "mt5")     # relative attention: no learned positions, no position limit


@dataclass(frozen=True)
class SizeField:
    """One size in config.json: its name in transformers' config class, the other names transformers accepts
    for it, its bounds, and the value transformers gives it when the config leaves it out (None: another
    field's value, e.g. T5's num_decoder_layers is num_layers)."""

    name: str
    high: int
    default: int | None
    aliases: tuple[str, ...] = ()
    low: int = 1


def _seq2seq_fields(vocabulary: int) -> tuple[SizeField, ...]:
    """BART, mBART, Marian and Pegasus (their config classes share names and defaults but the vocabulary)."""
    return (SizeField("vocab_size", MAX_VOCABULARY, vocabulary),
            SizeField("d_model", MAX_WIDTH, 1024, ("hidden_size",)),
            SizeField("encoder_layers", MAX_LAYERS, 12, ("num_hidden_layers",)),
            SizeField("decoder_layers", MAX_LAYERS, 12),
            SizeField("encoder_attention_heads", MAX_HEADS, 16, ("num_attention_heads",)),
            SizeField("decoder_attention_heads", MAX_HEADS, 16),
            SizeField("encoder_ffn_dim", MAX_FEED_FORWARD, 4096),
            SizeField("decoder_ffn_dim", MAX_FEED_FORWARD, 4096),
            SizeField("max_position_embeddings", MAX_POSITIONS, 1024))


def _t5_fields(vocabulary: int, feed_forward: int, layers: int, heads: int) -> tuple[SizeField, ...]:
    """T5 and mT5 (relative attention: buckets and a maximum distance instead of positions)."""
    return (SizeField("vocab_size", MAX_VOCABULARY, vocabulary),
            SizeField("d_model", MAX_WIDTH, 512, ("hidden_size",)),
            SizeField("d_kv", MAX_WIDTH, 64, ("head_dim",)),
            SizeField("d_ff", MAX_FEED_FORWARD, feed_forward),
            SizeField("num_layers", MAX_LAYERS, layers, ("num_hidden_layers",)),
            SizeField("num_decoder_layers", MAX_LAYERS, None),
            SizeField("num_heads", MAX_HEADS, heads, ("num_attention_heads",)),
            SizeField("relative_attention_num_buckets", MAX_BUCKETS, 32),
            SizeField("relative_attention_max_distance", MAX_POSITIONS, 128))


FIELDS: dict[str, tuple[SizeField, ...]] = {
    "bart": _seq2seq_fields(50265), "mbart": _seq2seq_fields(50265), "pegasus": _seq2seq_fields(50265),
    "marian": _seq2seq_fields(58101) + (SizeField("decoder_vocab_size", MAX_VOCABULARY, None),),
    "t5": _t5_fields(32128, 2048, 6, 8), "mt5": _t5_fields(250112, 1024, 8, 6),
}
FALLBACKS = {"num_decoder_layers": "num_layers", "decoder_vocab_size": "vocab_size"}   # where default is None
LAYER_FIELDS = {"seq2seq": ("encoder_layers", "decoder_layers"), "relative": ("num_layers", "num_decoder_layers")}
HEAD_FIELDS = {"seq2seq": ("encoder_attention_heads", "decoder_attention_heads"),
               "relative": ("num_heads", "num_heads")}


@dataclass(frozen=True)
class ConfigSizes:
    """The checked sizes of a config: ``values`` by the field's name in transformers' config class,
    ``spelled`` the name config.json wrote it under where that differs (hidden_size for d_model)."""

    family: str
    values: dict[str, int]
    spelled: dict[str, str]
    gated: bool = False                   # T5's gated feed-forward ("gated-gelu"): three matrices, not two
    shared_embeddings: bool = True        # Marian: one embedding for both sides

    def written(self, field: str) -> str:
        """The field's name as config.json wrote it."""
        return self.spelled.get(field, field)

    @property
    def relative(self) -> bool:
        return self.family in RELATIVE_FAMILIES

    @property
    def vocabulary(self) -> int:
        return self.values["vocab_size"]

    @property
    def token_ids(self) -> int:
        """How many token ids both sides of the model know (Marian's decoder may have its own vocabulary)."""
        return min(self.vocabulary, self.values.get("decoder_vocab_size", self.vocabulary))

    @property
    def width(self) -> int:
        return self.values["d_model"]

    @property
    def positions(self) -> int | None:
        """max_position_embeddings; None for relative attention (T5), which has no position limit."""
        return None if self.relative else self.values["max_position_embeddings"]

    def layer_fields(self) -> tuple[str, str]:
        """The fields counting the encoder's and the decoder's layers."""
        return LAYER_FIELDS["relative" if self.relative else "seq2seq"]

    def parameter_estimate(self) -> int:
        """Parameters the sizes imply (weights and biases of every matrix; norms roughly), from the config alone."""
        v, d = self.values, self.width
        if self.relative:
            inner, matrices = v["num_heads"] * v["d_kv"], 3 if self.gated else 2
            encoder = v["num_layers"] * (4 * d * inner + matrices * d * v["d_ff"] + 2 * d)
            decoder = v["num_decoder_layers"] * (8 * d * inner + matrices * d * v["d_ff"] + 3 * d)
            buckets = 2 * v["relative_attention_num_buckets"] * v["num_heads"]
            return 2 * self.vocabulary * d + encoder + decoder + buckets
        encoder = v["encoder_layers"] * (4 * (d * d + d) + 2 * d * v["encoder_ffn_dim"] + v["encoder_ffn_dim"] + 5 * d)
        decoder = v["decoder_layers"] * (8 * (d * d + d) + 2 * d * v["decoder_ffn_dim"] + v["decoder_ffn_dim"] + 7 * d)
        embeddings = self.vocabulary * (d + 1)
        if not self.shared_embeddings:
            embeddings += v["decoder_vocab_size"] * (2 * d + 1)
        return embeddings + 2 * (v["max_position_embeddings"] + 2) * d + encoder + decoder + 4 * d


def whole_number(value: Any, name: str, low: int, high: int, path: Path) -> int:
    """``value`` if it is a whole number from ``low`` to ``high`` (a boolean, a float such as 32.0 or a string
    such as "512" is not); CheckpointError naming ``path`` and ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise CheckpointError(f"{path}: {name} must be a whole number from {low:,} to {high:,}, not {shown(value)}")
    return value


def check_sizes(config: dict[str, Any], family: str, path: Path) -> ConfigSizes:
    """The sizes of ``config`` (config.json of ``family``, at ``path``) checked: bounds, types, heads dividing
    the width, and the parameter estimate against ``MAX_HF_PARAMETERS``; CheckpointError otherwise."""
    values: dict[str, int] = {}
    spelled: dict[str, str] = {}
    for field in FIELDS[family]:
        name = next((alias for alias in field.aliases if alias in config), field.name)
        if name != field.name:
            spelled[field.name] = name
        value = config.get(name)
        if value is None:
            if name in config and field.default is not None:        # null where transformers needs a number
                whole_number(value, name, field.low, field.high, path)
            values[field.name] = field.default if field.default is not None else values[FALLBACKS[field.name]]
            continue
        values[field.name] = whole_number(value, name, field.low, field.high, path)
    relative = family in RELATIVE_FAMILIES
    gated = False
    if relative:
        activation = config.get("feed_forward_proj", "gated-gelu" if family == "mt5" else "relu")
        if not isinstance(activation, str) or not 0 < len(activation) <= 40:
            raise CheckpointError(f"{path}: feed_forward_proj must name an activation such as \"relu\" or "
                                  f"\"gated-gelu\", not {shown(activation)}")
        gated = activation.startswith("gated-")
    else:
        width = values["d_model"]
        for heads in HEAD_FIELDS["seq2seq"]:
            if width % values[heads]:
                raise CheckpointError(f"{path}: {spelled.get(heads, heads)} ({values[heads]:,}) must divide "
                                      f"{spelled.get('d_model', 'd_model')} ({width:,})")
    sizes = ConfigSizes(family, values, spelled, gated=gated,
                        shared_embeddings=config.get("share_encoder_decoder_embeddings") is not False)
    estimate = sizes.parameter_estimate()
    if estimate > MAX_HF_PARAMETERS:
        encoder, decoder = sizes.layer_fields()
        listed = ", ".join(f"{sizes.written(f)} {values[f]:,}" for f in ("vocab_size", "d_model", encoder, decoder))
        raise CheckpointError(f"{path}: these sizes ({listed}, …) make a model of about {estimate:,} parameters; "
                              f"attnviz loads at most {MAX_HF_PARAMETERS:,}")
    return sizes


def check_token_ids(data: dict[str, Any], path: Path, sizes: ConfigSizes) -> None:
    """Every token id ``data`` names (decoder_start_token_id, eos_token_id, …) is None or a token of the
    vocabulary (eos_token_id and forced_eos_token_id may be lists of them); CheckpointError otherwise."""
    count = sizes.token_ids
    for field in TOKEN_ID_FIELDS:
        value = data.get(field)
        if value is None:
            continue
        listed = value if field in TOKEN_LIST_FIELDS and isinstance(value, list) and 0 < len(value) <= 1000 else [value]
        for token in listed:
            if isinstance(token, bool) or not isinstance(token, int) or not 0 <= token < count:
                kind = "a token id or a list of token ids" if field in TOKEN_LIST_FIELDS else "a token id"
                raise CheckpointError(f"{path}: {field} must be {kind} from 0 to {count - 1:,} (the model's "
                                      f"vocabulary has {count:,} tokens), not {shown(value)}")


def check_shares_and_flags(config: dict[str, Any], path: Path) -> None:
    """The dropout probabilities are numbers from 0 to 1 and the switches true or false, where config.json
    gives them (null leaves them to transformers); CheckpointError naming the field otherwise."""
    for field in SHARE_FIELDS:
        value = config.get(field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not 0 <= value <= 1):
            raise CheckpointError(f"{path}: {field} must be a number from 0 to 1, not {shown(value)}")
    for field in FLAG_FIELDS:
        value = config.get(field)
        if value is not None and not isinstance(value, bool):
            raise CheckpointError(f"{path}: {field} must be true or false, not {shown(value)}")

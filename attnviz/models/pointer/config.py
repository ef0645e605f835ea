"""The model's configuration, stored as JSON beside the weights."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from attnviz.models.base import MAX_SOURCE_TOKENS
from attnviz.userinput import shown

ATTENTION_KINDS = ("additive", "dot", "general", "multihead")
ENCODER_KINDS = ("bilstm", "minilm")      # minilm: the frozen pretrained MiniLM-L6 (attnviz.models.pointer.minilm)
MINILM_WORDS = 511                        # MiniLM's 512 positions, one for [CLS]
BRIDGE_ACTIVATIONS = ("tanh", "relu")
MAX_PARAMETERS = 250_000_000       # ~1 GB of float32 weights: a config beyond it is refused before allocation
RANGES = {"vocab_size": (5, 2_000_000), "emb_dim": (1, 4096), "hidden_dim": (1, 8192), "num_heads": (1, 128),
          "max_source_tokens": (1, MAX_SOURCE_TOKENS), "max_summary_tokens": (1, 200)}


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters of a pointer-generator; everything needed to rebuild the model."""

    vocab_size: int
    emb_dim: int = 128
    hidden_dim: int = 256              # per encoder direction and for the decoder
    attention: str = "additive"        # one of ATTENTION_KINDS
    encoder: str = "bilstm"            # one of ENCODER_KINDS
    num_heads: int = 4                 # used by "multihead" only
    pointer: bool = True               # copy mechanism with p_gen
    coverage: bool = False             # coverage vector as an attention feature (See et al. 2017)
    tie_embeddings: bool = True        # output projection shares the word embedding matrix
    dropout: float = 0.2
    # Activation of the encoder → decoder start-state bridge. tanh keeps the target function smooth;
    # ReLU kinks along an Integrated Gradients path break its completeness at 50 steps.
    bridge_activation: str = "tanh"
    max_source_tokens: int = 400       # longer inputs are cut (the user is told)
    max_summary_tokens: int = 24

    def __post_init__(self) -> None:
        for f in fields(self):
            value, kind = getattr(self, f.name), {"int": int, "bool": bool, "float": float, "str": str}[str(f.type)]
            if isinstance(value, bool) != (kind is bool) or not isinstance(value, (int, float) if kind is float else kind):
                raise ValueError(f"{f.name} must be {'an integer' if kind is int else 'a ' + kind.__name__}, "
                                 f"not {shown(value)}")
        for name, (low, high) in RANGES.items():
            if not low <= getattr(self, name) <= high:
                raise ValueError(f"{name} must be from {low:,} to {high:,}, not {getattr(self, name):,}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), not {shown(self.dropout)}")
        if self.parameter_estimate() > MAX_PARAMETERS:
            raise ValueError(f"the model would have up to about {self.parameter_estimate():,} parameters; "
                             f"attnviz loads at most {MAX_PARAMETERS:,}")
        if self.attention not in ATTENTION_KINDS:
            raise ValueError(f"attention must be one of {', '.join(ATTENTION_KINDS)}, not {shown(self.attention)}")
        if self.encoder not in ENCODER_KINDS:
            raise ValueError(f"encoder must be one of {', '.join(ENCODER_KINDS)}, not {shown(self.encoder)}")
        if self.encoder == "minilm" and self.max_source_tokens > MINILM_WORDS:
            raise ValueError(f"a MiniLM encoder reads at most {MINILM_WORDS} source tokens, not {self.max_source_tokens}")
        if self.bridge_activation not in BRIDGE_ACTIVATIONS:
            raise ValueError(f"bridge_activation must be one of {', '.join(BRIDGE_ACTIVATIONS)}, not {shown(self.bridge_activation)}")
        if self.attention == "multihead" and (2 * self.hidden_dim) % self.num_heads:
            raise ValueError("2 * hidden_dim must be divisible by num_heads")

    @property
    def source_ceiling(self) -> int:
        """The longest source the encoder can read."""
        return MINILM_WORDS if self.encoder == "minilm" else MAX_SOURCE_TOKENS

    def parameter_estimate(self) -> int:
        """About how many weights the model has (embeddings, output layer, the LSTMs and attention), from the
        sizes alone: checked before anything is allocated. A frozen pretrained encoder is not stored."""
        e, h, v = self.emb_dim, self.hidden_dim, self.vocab_size
        lstms = 2 * 4 * h * (e + h) + 4 * h * (e + 2 * h + h)
        return v * e * (1 if self.tie_embeddings else 2) + v * h + lstms + 16 * h * h

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        data = {"bridge_activation": "relu", **data}   # configs written before the field existed
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown config keys: {sorted(unknown)}")
        return cls(**data)

"""The model's configuration, stored as JSON beside the weights."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

ATTENTION_KINDS = ("additive", "dot", "general", "multihead")
BRIDGE_ACTIVATIONS = ("tanh", "relu")


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters of a pointer-generator; everything needed to rebuild the model."""

    vocab_size: int
    emb_dim: int = 128
    hidden_dim: int = 256              # per encoder direction and for the decoder
    attention: str = "additive"        # one of ATTENTION_KINDS
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
        if self.attention not in ATTENTION_KINDS:
            raise ValueError(f"attention must be one of {ATTENTION_KINDS}, not {self.attention!r}")
        if self.bridge_activation not in BRIDGE_ACTIVATIONS:
            raise ValueError(f"bridge_activation must be one of {BRIDGE_ACTIVATIONS}, not {self.bridge_activation!r}")
        if self.attention == "multihead" and (2 * self.hidden_dim) % self.num_heads:
            raise ValueError("2 * hidden_dim must be divisible by num_heads")
        for name in ("vocab_size", "emb_dim", "hidden_dim", "num_heads", "max_source_tokens", "max_summary_tokens"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive")

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

"""Result types that flow through attnviz. They hold numpy arrays, never torch tensors."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Generation:
    """One generated summary with what the model did to produce it.

    T = summary length (end-of-summary token excluded), S = source length, H = attention heads.
    """

    source_tokens: list[str]          # [S] surface forms as the model read them
    summary_tokens: list[str]         # [T] display forms; copied OOV words as in the source
    summary: str                      # detokenised summary text
    source_ids: np.ndarray            # [S] int64 in-vocabulary ids (OOV → <unk>)
    source_ext_ids: np.ndarray        # [S] int64 extended ids (OOV → vocab + k)
    summary_ids: np.ndarray           # [T] int64 extended ids
    attention: np.ndarray             # [T, S] cross-attention; a row sums to 1 − the null slot's weight
    token_logprobs: np.ndarray        # [T] log P(summary token t | source, prefix)
    p_gen: np.ndarray | None          # [T] probability of generating (vs copying); None without pointer
    head_attention: np.ndarray | None = None  # [H, T, S] per head, multi-head models only
    source_oovs: list[str] = field(default_factory=list)  # lower-cased OOV words, extended-id order
    truncated_from: int = 0           # source token count before truncation
    score: float = 0.0                # the decoder's (length-normalised) sequence score
    settings: dict[str, Any] = field(default_factory=dict)  # decoding settings used

    def __post_init__(self) -> None:
        t, s = len(self.summary_tokens), len(self.source_tokens)
        if self.attention.shape != (t, s):
            raise ValueError(f"attention has shape {self.attention.shape}, expected ({t}, {s})")
        if self.token_logprobs.shape != (t,):
            raise ValueError(f"token_logprobs has shape {self.token_logprobs.shape}, expected ({t},)")
        if self.p_gen is not None and self.p_gen.shape != (t,):
            raise ValueError(f"p_gen has shape {self.p_gen.shape}, expected ({t},)")
        if self.head_attention is not None and self.head_attention.shape[1:] != (t, s):
            raise ValueError(f"head_attention has shape {self.head_attention.shape}, expected (H, {t}, {s})")

    @property
    def truncated(self) -> bool:
        return self.truncated_from > len(self.source_tokens)

    def to_json(self) -> dict[str, Any]:
        """The CLI's JSON schema: plain lists, floats rounded to 6 places."""
        def rounded(a: np.ndarray) -> Any:
            return np.round(a.astype(float), 6).tolist()

        out: dict[str, Any] = {
            "summary": self.summary,
            "summary_tokens": self.summary_tokens,
            "source_tokens": self.source_tokens,
            "attention": rounded(self.attention),
            "token_logprobs": rounded(self.token_logprobs),
            "p_gen": None if self.p_gen is None else rounded(self.p_gen),
            "truncated": self.truncated,
            "source_token_count": self.truncated_from,
            "settings": self.settings,
        }
        if self.head_attention is not None:
            out["head_attention"] = rounded(self.head_attention)
        return out

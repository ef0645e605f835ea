"""Score scaling for display: per-row max-abs normalisation and signed or absolute values (numpy only)."""
from __future__ import annotations

import numpy as np

NORMALISATIONS = ("row_max_abs", "none")
SIGNS = ("signed", "absolute")


def normalise(scores: np.ndarray, *, mode: str = "row_max_abs", sign: str = "signed") -> np.ndarray:
    """scores [T, S] → [T, S]: ``sign`` "absolute" takes |score|; ``mode`` "row_max_abs" divides each row by
    its largest |score| (an all-zero row stays zero), so every row spans [-1, 1] (or [0, 1])."""
    if mode not in NORMALISATIONS:
        raise ValueError(f"normalisation must be one of {NORMALISATIONS}, not {mode!r}")
    if sign not in SIGNS:
        raise ValueError(f"sign must be one of {SIGNS}, not {sign!r}")
    out = np.asarray(scores, dtype=np.float64)
    if sign == "absolute":
        out = np.abs(out)
    if mode == "row_max_abs":
        peak = np.abs(out).max(axis=-1, keepdims=True)
        out = np.divide(out, peak, out=np.zeros_like(out), where=peak > 0)
    return out


def is_signed(scores: np.ndarray) -> bool:
    """Whether a score matrix has negative entries (then a diverging colour scale centred on 0 is used)."""
    return bool((np.asarray(scores) < 0).any())

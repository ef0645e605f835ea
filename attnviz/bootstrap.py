"""Percentile bootstrap of a mean: the 95% interval that every corpus figure (ROUGE gains, agreement,
faithfulness) is reported with."""
from __future__ import annotations

import numpy as np


def bootstrap_mean(values: np.ndarray, *, samples: int = 1000, seed: int = 0) -> tuple[float, float, float]:
    """(mean, low, high): the mean of ``values`` [N] and its 95% percentile interval from ``samples``
    seeded resamples of the N values with replacement."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"need a non-empty 1-D array, got shape {values.shape}")
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    rng = np.random.default_rng(seed)
    means = np.empty(samples, dtype=np.float64)
    for start in range(0, samples, 256):            # chunks bound memory for large N
        stop = min(samples, start + 256)
        idx = rng.integers(0, values.size, size=(stop - start, values.size))
        means[start:stop] = values[idx].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(values.mean()), float(low), float(high)

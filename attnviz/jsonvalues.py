"""Values in an explanation document: floats rounded for strict JSON (6 decimal places or 7 significant digits,
NaN and infinities as null) and fields read back with a DocumentError naming what is wrong."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from attnviz.errors import DocumentError

DECIMALS = 6                 # every float keeps at least 6 decimal places …
SIGNIFICANT = 7              # … and at least 7 significant digits (small scores, e.g. attention 1e-5, stay exact)


def rounded(values: Any) -> Any:
    """An array as nested lists of floats rounded to ``DECIMALS`` places or ``SIGNIFICANT`` digits, whichever
    keeps more; NaN and ±inf → None (strict JSON)."""
    array = np.asarray(values, dtype=np.float64)
    flat = [float(f"{v:.{max(DECIMALS, SIGNIFICANT - 1 - math.floor(math.log10(abs(v))))}f}") if v and math.isfinite(v)
            else (0.0 if v == 0 else None) for v in array.ravel().tolist()]
    return np.array(flat, dtype=object).reshape(array.shape).tolist() if array.ndim else flat[0]


def finite(value: Any) -> Any:
    """NaN/inf → None throughout lists and dicts (strict JSON); numpy → plain Python."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [finite(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def read_array(document: dict[str, Any], key: str, *, dtype: Any = np.float64, optional: bool = False,
               where: str = "") -> np.ndarray | None:
    """``document[key]`` as an array (null → NaN for floats); DocumentError naming the key when it is
    missing or not a rectangular array of numbers."""
    value = document.get(key) if isinstance(document, dict) else None
    if value is None:
        if optional:
            return None
        raise DocumentError(f"{where}{key} is missing")
    try:
        if np.dtype(dtype).kind == "f":
            array = np.array(value, dtype=object)
            array = np.where(array == None, np.nan, array).astype(dtype)  # noqa: E711 — element-wise null test
        else:
            array = np.array(value, dtype=dtype)
    except (TypeError, ValueError):
        raise DocumentError(f"{where}{key} is not an array of numbers") from None
    return array


def read_field(document: dict[str, Any], key: str, kind: type | tuple[type, ...], *, where: str = "",
               default: Any = ...) -> Any:
    """``document[key]`` checked to be of ``kind``; DocumentError naming the key otherwise."""
    if not isinstance(document, dict) or key not in document:
        if default is not ...:
            return default
        raise DocumentError(f"{where}{key} is missing")
    value = document[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind in (int, float, (int, float)):
        raise DocumentError(f"{where}{key} has the wrong type ({type(value).__name__})")
    return value

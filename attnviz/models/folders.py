"""Where model folders are found: by path, or by name among the shipped models and $ATTNVIZ_MODELS; and the
careful reading of a folder's JSON files that every family shares."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from attnviz.errors import CheckpointError

PRETRAINED_DIR = Path(__file__).resolve().parents[2] / "pretrained"
DEFAULT_MODEL = "news-pointer-generator"
MODELS_ENV = "ATTNVIZ_MODELS"        # a folder of the user's own model folders, offered by name
FLOAT_DTYPES = {"F16", "BF16", "F32", "F64"}     # safetensors dtypes a checkpoint's weights may have


def model_dirs() -> list[Path]:
    """Where models are found by name: pretrained/, then the folder named by $ATTNVIZ_MODELS (if any)."""
    extra = os.environ.get(MODELS_ENV)
    return [PRETRAINED_DIR] + ([Path(extra).expanduser()] if extra else [])


def available_models() -> list[str]:
    """Names of the model folders (a config.json inside) in ``model_dirs()``, shipped ones first."""
    names: list[str] = []
    for folder in model_dirs():
        if folder.is_dir():
            names += sorted(p.name for p in folder.iterdir() if (p / "config.json").is_file() and p.name not in names)
    return names


def model_path(model: Path | str | None) -> Path:
    """A model folder from a path, or a name in ``model_dirs()`` (None: the shipped model)."""
    if model is None:
        return PRETRAINED_DIR / DEFAULT_MODEL
    path = Path(model).expanduser()
    if path.exists() or path.is_absolute() or len(path.parts) > 1:
        return path
    return next((folder / path for folder in model_dirs() if (folder / path).exists()), path)


def read_json(path: Path, limit: int = 2**20) -> Any:
    """A model folder's JSON file, refused when missing, over ``limit`` bytes (1 MB unless given), nested
    too deeply or not JSON."""
    if not path.is_file():
        raise CheckpointError(f"checkpoint file missing: {path}")
    if path.stat().st_size > limit:
        raise CheckpointError(f"checkpoint file {path} has {path.stat().st_size:,} bytes; at most {limit:,} are read")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"checkpoint file {path} is not valid JSON ({exc})") from None
    except RecursionError:
        raise CheckpointError(f"checkpoint file {path} nests too deeply to be a checkpoint file") from None
    except ValueError:                        # Python's int() refuses numbers of thousands of digits
        raise CheckpointError(f"checkpoint file {path} holds a number too long to be a size or a setting") from None

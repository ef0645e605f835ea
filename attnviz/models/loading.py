"""Loading a model by name or folder: the one place that knows every family."""
from __future__ import annotations

from pathlib import Path

from attnviz.models.base import SummaryModel
from attnviz.models.folders import model_path
from attnviz.models.hf.folder import is_transformers_folder
from attnviz.models.pointer.summarizer import PointerSummarizer


def load_model(model: Path | str | None = None, *, device: str = "auto",
               max_source_tokens: int | None = None) -> SummaryModel:
    """The ``SummaryModel`` of a folder (``model_path``): an attnviz checkpoint or a Hugging Face
    encoder-decoder saved with save_pretrained."""
    path = model_path(model)
    if is_transformers_folder(path):
        from attnviz.models.hf.summarizer import TransformersSummarizer  # imports transformers: only when needed

        return TransformersSummarizer.from_folder(path, device=device, max_source_tokens=max_source_tokens)
    return PointerSummarizer.from_checkpoint(path, device=device, max_source_tokens=max_source_tokens)

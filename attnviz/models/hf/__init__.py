"""Hugging Face encoder-decoders from a local folder (``TransformersSummarizer``); transformers is imported
only when such a folder is loaded."""
from attnviz.models.hf.folder import FAMILIES, check_folder, is_transformers_folder

__all__ = ["FAMILIES", "check_folder", "is_transformers_folder"]

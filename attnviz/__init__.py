"""attnviz: summarise text with an attention seq2seq model and show why it wrote each word."""
from attnviz.errors import AttnvizError, CheckpointError, InputError, UnknownOptionError

__all__ = ["AttnvizError", "CheckpointError", "InputError", "UnknownOptionError"]
__version__ = "0.1.0"

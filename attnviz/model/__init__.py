"""The pointer-generator seq2seq model."""
from attnviz.model.config import ATTENTION_KINDS, ModelConfig
from attnviz.model.seq2seq import DecoderState, EncoderOutput, PointerGenerator, pick_device

__all__ = ["ATTENTION_KINDS", "DecoderState", "EncoderOutput", "ModelConfig", "PointerGenerator", "pick_device"]

"""Tiny randomly initialised Hugging Face encoder-decoders (BART, T5, Marian) with a word-level tokenizer
built here (the ``tokenizers`` library), saved with ``save_pretrained`` as a user would: no hub access."""
from __future__ import annotations

from pathlib import Path

WORDS = ("the a cat dog sat on mat minister met committee monday budget vote failed resigned after . , and of "
         "to in police said city council new plan").split()
SPECIALS = {"bart": ["<s>", "<pad>", "</s>", "<unk>", "<mask>"], "t5": ["<pad>", "</s>", "<unk>"],
            "marian": ["</s>", "<unk>", "<pad>"]}
FAMILIES = tuple(SPECIALS)


def tokenizer(family: str):
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(SPECIALS[family] + WORDS)}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    eos = vocab["</s>"]
    if family == "bart":
        core.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", eos)])
        return PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                       unk_token="<unk>", mask_token="<mask>")
    core.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", eos)])
    return PreTrainedTokenizerFast(tokenizer_object=core, eos_token="</s>", pad_token="<pad>", unk_token="<unk>")


def model(family: str, seed: int = 0):
    import torch
    from transformers import (BartConfig, BartForConditionalGeneration, MarianConfig, MarianMTModel, T5Config,
                              T5ForConditionalGeneration)

    size = len(SPECIALS[family]) + len(WORDS)
    torch.manual_seed(seed)
    shared = dict(vocab_size=size, d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
                  decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=128)
    if family == "bart":
        return BartForConditionalGeneration(BartConfig(**shared, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                                                       decoder_start_token_id=2, forced_bos_token_id=0))
    if family == "marian":
        return MarianMTModel(MarianConfig(**shared, pad_token_id=2, eos_token_id=0, decoder_start_token_id=2,
                                          scale_embedding=True))
    return T5ForConditionalGeneration(T5Config(vocab_size=size, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4,
                                               pad_token_id=0, eos_token_id=1, decoder_start_token_id=0,
                                               initializer_factor=0.2))


def save(family: str, folder: Path, seed: int = 0) -> Path:
    """A tiny ``family`` model and its tokenizer saved into ``folder``; → folder."""
    model(family, seed).save_pretrained(folder)
    tokenizer(family).save_pretrained(folder)
    return folder

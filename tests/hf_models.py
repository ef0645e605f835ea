"""Tiny randomly initialised Hugging Face encoder-decoders (BART, mBART, T5, Marian, Pegasus) with a tokenizer
built here (the ``tokenizers`` library: word-level, or WordPiece with a few words split into pieces), saved
with ``save_pretrained`` as a user would: no hub access.

The weights are drawn wider than transformers' default (``init_std`` 0.2 instead of 0.02; T5's
``initializer_factor`` 0.7 instead of the 0.2 used before) so that the models read their source: before, a
summary token's log-probability moved by at most 5e-4 to 7e-3 nats between the whole source and none of
it, below the tolerances of the known-answer tests; now by 0.17 to 2.2 nats
(``test_the_tiny_models_read_their_source`` in tests/test_transformers.py holds it at ≥ 0.1 nats)."""
from __future__ import annotations

from pathlib import Path

WORDS = ("the a cat dog sat on mat minister met committee monday budget vote failed resigned after . , and of "
         "to in police said city council new plan").split()
PIECES = {"minister": ("minis", "##ter"), "committee": ("commit", "##tee"), "budget": ("bud", "##get")}
SPECIALS = {"bart": ["<s>", "<pad>", "</s>", "<unk>", "<mask>"], "t5": ["<pad>", "</s>", "<unk>"],
            "marian": ["</s>", "<unk>", "<pad>"], "mbart": ["<s>", "<pad>", "</s>", "<unk>", "en_XX", "<mask>"],
            "pegasus": ["<pad>", "</s>", "<unk>", "<mask_2>"]}
INIT_STD = 0.2                                              # transformers' default: 0.02 (see the docstring)
FAMILIES = ("bart", "t5", "marian")                         # the ones every known-answer test runs on
MORE_FAMILIES = ("mbart", "pegasus")                        # attention, removal, lengths and IG only
ALL_FAMILIES = FAMILIES + MORE_FAMILIES


def vocabulary(family: str, pieces: bool = False) -> dict[str, int]:
    words = [p for w in WORDS for p in (PIECES[w] if pieces and w in PIECES else (w,))]
    return {w: i for i, w in enumerate(SPECIALS[family] + words)}


def tokenizer(family: str, pieces: bool = False):
    """``family``'s special tokens and template around a word-level vocabulary, or WordPiece with ``pieces``
    ("minister" → "minis" "##ter")."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = vocabulary(family, pieces)
    if pieces:
        core = Tokenizer(models.WordPiece(vocab, unk_token="<unk>"))
        core.decoder = decoders.WordPiece()
    else:
        core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    eos = vocab["</s>"]
    specials = dict(eos_token="</s>", pad_token="<pad>", unk_token="<unk>")
    if family == "bart":
        core.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", eos)])
        return PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<s>", mask_token="<mask>", **specials)
    if family == "mbart":                                   # mBART: the text, </s>, then the language code
        core.post_processor = processors.TemplateProcessing(single="$A </s> en_XX",
                                                            special_tokens=[("</s>", eos), ("en_XX", vocab["en_XX"])])
        return PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<s>", mask_token="<mask>",
                                       additional_special_tokens=["en_XX"], **specials)
    core.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", eos)])
    if family == "pegasus":
        return PreTrainedTokenizerFast(tokenizer_object=core, mask_token="<mask_2>", **specials)
    return PreTrainedTokenizerFast(tokenizer_object=core, **specials)


def model(family: str, seed: int = 0, pieces: bool = False):
    import torch
    from transformers import (
        BartConfig,
        BartForConditionalGeneration,
        MarianConfig,
        MarianMTModel,
        MBartConfig,
        MBartForConditionalGeneration,
        PegasusConfig,
        PegasusForConditionalGeneration,
        T5Config,
        T5ForConditionalGeneration,
    )

    size = len(vocabulary(family, pieces))
    torch.manual_seed(seed)
    shared = dict(vocab_size=size, d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
                  decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=128,
                  init_std=INIT_STD)
    if family == "bart":
        built = BartForConditionalGeneration(BartConfig(**shared, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                                                        decoder_start_token_id=2))
        built.generation_config.forced_bos_token_id = 0          # as in bart-large-cnn's generation_config.json
        return built
    if family == "mbart":                                        # mBART-50: </s>, then the target language's code
        built = MBartForConditionalGeneration(MBartConfig(**shared, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                                                          decoder_start_token_id=2))
        built.generation_config.forced_bos_token_id = 4
        return built
    if family == "marian":
        return MarianMTModel(MarianConfig(**shared, pad_token_id=2, eos_token_id=0, decoder_start_token_id=2,
                                          scale_embedding=True))
    if family == "pegasus":
        return PegasusForConditionalGeneration(PegasusConfig(**shared, pad_token_id=0, eos_token_id=1,
                                                             decoder_start_token_id=0, scale_embedding=True))
    return T5ForConditionalGeneration(T5Config(vocab_size=size, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4,
                                               pad_token_id=0, eos_token_id=1, decoder_start_token_id=0,
                                               initializer_factor=0.7))   # 0.2: barely read; 1.0: IG over 256 steps


def save(family: str, folder: Path, seed: int = 0, pieces: bool = False) -> Path:
    """A tiny ``family`` model and its tokenizer (WordPiece with ``pieces``) saved into ``folder``; → folder."""
    model(family, seed, pieces).save_pretrained(folder)
    tokenizer(family, pieces).save_pretrained(folder)
    return folder

"""A Hugging Face encoder-decoder of bart-base's shape (6 + 6 layers, d 768, 12 heads, random weights, a
word-level tokenizer over the shipped model's 30,000 words), saved with save_pretrained and loaded through
``--model``'s path: summarize latency and every method's time at its default budget.

    python benchmarks/hf_model.py [--tokens 400] [--summary-tokens 16] [--runs 5] [--device cpu] [--methods all]

Prints the summarize latency (greedy, beam 4; medians of ``--runs``), each method's seconds and passes on a
``--tokens``-token news article with a ``--summary-tokens``-token summary, and the process's peak RSS;
then one JSON line.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from attnviz.models.pointer.summarizer import PointerSummarizer  # noqa: E402
from benchmarks.models import measure  # noqa: E402


def build(folder: Path) -> Path:
    """bart-base's shape with random weights, and a word-level tokenizer, saved into ``folder``."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BartConfig, BartForConditionalGeneration, PreTrainedTokenizerFast

    words = [w for w in PointerSummarizer.from_checkpoint(device="cpu").vocab.words if w.strip() and " " not in w]
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    vocab = {w: i for i, w in enumerate(specials + [w for w in dict.fromkeys(words) if w not in specials])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                            unk_token="<unk>", mask_token="<mask>").save_pretrained(folder)
    torch.manual_seed(0)
    config = BartConfig(vocab_size=len(vocab), d_model=768, encoder_layers=6, decoder_layers=6,
                        encoder_attention_heads=12, decoder_attention_heads=12, encoder_ffn_dim=3072,
                        decoder_ffn_dim=3072, max_position_embeddings=1024, pad_token_id=1, bos_token_id=0,
                        eos_token_id=2, decoder_start_token_id=2)
    BartForConditionalGeneration(config).save_pretrained(folder)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=400)
    parser.add_argument("--summary-tokens", type=int, default=16)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--methods", default="all", help="comma-separated method names, or all")
    args = parser.parse_args()
    folder = build(Path(tempfile.mkdtemp(prefix="attnviz-bart-base-")) / "bart-base-shape")
    print(json.dumps(measure(folder, tokens=args.tokens, explain_tokens=args.tokens, summary_tokens=args.summary_tokens,
                             runs=args.runs, methods=None if args.methods == "all" else args.methods.split(","),
                             device=args.device, log=lambda line: print(line, flush=True))))


if __name__ == "__main__":
    main()

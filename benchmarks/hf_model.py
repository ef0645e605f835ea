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
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from attnviz.decoding import DecodingSettings  # noqa: E402
from attnviz.examples import article  # noqa: E402
from attnviz.explain import METHODS  # noqa: E402
from attnviz.pipeline import Summarizer, load_model  # noqa: E402
from benchmarks.common import clock, median  # noqa: E402


def build(folder: Path) -> Path:
    """bart-base's shape with random weights, and a word-level tokenizer, saved into ``folder``."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BartConfig, BartForConditionalGeneration, PreTrainedTokenizerFast

    words = [w for w in Summarizer.from_checkpoint(device="cpu").vocab.words if w.strip() and " " not in w]
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
    names = list(METHODS) if args.methods == "all" else args.methods.split(",")
    folder = build(Path(tempfile.mkdtemp(prefix="attnviz-bart-base-")) / "bart-base-shape")
    seconds, model = clock(lambda: load_model(folder, device=args.device, max_source_tokens=args.tokens))
    parameters = sum(p.numel() for p in model.model.parameters())
    text, origin = article(args.tokens)
    print(f"{parameters / 1e6:.0f}M parameters, loaded in {seconds:.1f} s; {origin}", flush=True)
    latency = {}
    for name, settings in {"greedy": DecodingSettings(beam_size=1), "beam4": DecodingSettings(beam_size=4)}.items():
        model.summarize(text, settings)                                                  # warm-up
        latency[name] = median([clock(lambda: model.summarize(text, settings))[0] for _ in range(args.runs)])
        print(f"summarize {name}: {latency[name]:.3f} s (median of {args.runs})", flush=True)
    forced = DecodingSettings(beam_size=4, min_len=args.summary_tokens, max_len=args.summary_tokens)
    generation = model.summarize(text, forced)
    print(f"explaining {len(generation.source_tokens)} source tokens, {len(generation.summary_tokens)} summary "
          "tokens", flush=True)
    methods = {}
    for name in names:
        spec, scorer = METHODS[name], model.scorer(generation)
        start = time.perf_counter()
        result = spec(scorer)
        methods[name] = {"seconds": round(time.perf_counter() - start, 2), "forward": result.forward_passes,
                         "backward": result.backward_passes}
        print(f"  {name:22s} {methods[name]['seconds']:8.2f} s  {result.forward_passes:6d} forward "
              f"{result.backward_passes:6d} backward", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = sum(m["seconds"] for m in methods.values())
    print(f"all methods: {total:.1f} s; peak RSS {peak:,.0f} MB")
    print(json.dumps({"parameters": parameters, "tokens": len(generation.source_tokens),
                      "summary_tokens": len(generation.summary_tokens), "summarize_s": latency, "methods": methods,
                      "all_methods_s": round(total, 1), "peak_rss_mb": round(peak), "device": args.device}))


if __name__ == "__main__":
    main()

"""Command line: python -m attnviz {data,train,summarize,evaluate,examples,explain,report,check,bench} ... (see --help of each)."""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import fields
from pathlib import Path
from typing import NoReturn

from attnviz.errors import AttnvizError, InputError


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad option as one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"attnviz: error: {message} (see --help)\n")


def read_text_argument(text: str | None, file: str | None) -> str:
    """The text from --text, or from --file ('-' = standard input), as UTF-8."""
    from attnviz.textfile import decode_text

    if text is not None:
        return text
    try:
        if file == "-":
            return decode_text(sys.stdin.buffer.read(), "standard input")
        return decode_text(Path(file).read_bytes(), file)
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc.strerror or exc}") from None


def _add_model_options(p: argparse.ArgumentParser) -> None:
    from attnviz.decoding import DecodingSettings

    default = DecodingSettings()
    p.add_argument("--model", default=None, help="checkpoint folder or name under pretrained/ (default: the shipped model)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--max-source-tokens", type=int, default=None,
                   help="cut sources to this many tokens (default: the model's own limit)")
    p.add_argument("--beam", type=int, default=default.beam_size, help=f"beam size; 1 = greedy (default {default.beam_size})")
    p.add_argument("--max-len", type=int, default=default.max_len, help=f"maximum summary tokens (default {default.max_len})")
    p.add_argument("--min-len", type=int, default=default.min_len,
                   help=f"minimum summary tokens (default {default.min_len}, capped at --max-len)")
    p.add_argument("--length-penalty", type=float, default=default.length_penalty)
    p.add_argument("--no-repeat-ngram", type=int, default=default.no_repeat_ngram,
                   help=f"ban repeated n-grams of this size, 0 = off (default {default.no_repeat_ngram})")


def _decoding(args: argparse.Namespace):
    from attnviz.decoding import DecodingSettings

    return DecodingSettings(beam_size=args.beam, max_len=args.max_len, min_len=min(args.min_len, args.max_len),
                            length_penalty=args.length_penalty, no_repeat_ngram=args.no_repeat_ngram)


def _summarizer(args: argparse.Namespace):
    from attnviz.pipeline import Summarizer

    return Summarizer.from_checkpoint(args.model, device=args.device, max_source_tokens=args.max_source_tokens)


def cmd_data(args: argparse.Namespace) -> None:
    from attnviz.data import prepare_data

    counts = prepare_data(Path(args.data_dir))
    print(json.dumps(counts, indent=2))


def cmd_train(args: argparse.Namespace) -> None:
    from attnviz.train import TrainSettings, train

    settings = TrainSettings(**{f.name: getattr(args, f.name) for f in fields(TrainSettings)})
    print(f"checkpoint written to {train(settings)}")


def cmd_summarize(args: argparse.Namespace) -> None:
    text = read_text_argument(args.text, args.file)
    settings = _decoding(args)
    generation = _summarizer(args).summarize(text, settings)
    if args.json:
        print(json.dumps(generation.to_json(), ensure_ascii=False))
    else:
        print(generation.summary)
        if generation.truncated:
            print(f"(the text was cut to its first {len(generation.source_tokens)} of "
                  f"{generation.truncated_from} tokens)", file=sys.stderr)


def _read_pairs_argument(path: str, limit: int) -> list[dict]:
    """The first ``limit`` (0 = all) pairs of a JSONL file; InputError for an unreadable, bad or empty file."""
    from attnviz.data import read_pairs

    try:
        pairs = read_pairs(Path(path))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise InputError(str(exc)) from None
    pairs = pairs[:limit] if limit else pairs
    if not pairs:
        raise InputError(f"{path} holds no pairs")
    return pairs


def cmd_evaluate(args: argparse.Namespace) -> None:
    from attnviz.evaluate import headline_stats, lead_words, paired_bootstrap, rouge_per_pair

    pairs = _read_pairs_argument(args.pairs, args.limit)
    summarizer, settings = _summarizer(args), _decoding(args)
    references = [p["summary"] for p in pairs]
    start = time.perf_counter()
    predictions = []
    for i, pair in enumerate(pairs, 1):
        predictions.append(summarizer.summarize(pair["text"], settings).summary)
        if not args.json and i % 50 == 0:
            print(f"  {i}/{len(pairs)}", file=sys.stderr)
    seconds = time.perf_counter() - start
    model_scores = rouge_per_pair(predictions, references)
    lead_scores = rouge_per_pair([lead_words(p["text"], 10) for p in pairs], references)
    gain, low, high = paired_bootstrap(model_scores[:, 2], lead_scores[:, 2])
    other = _other_predictions(args.compare_predictions, len(pairs))
    result = {
        "pairs": len(pairs), "model": summarizer.name, "decoding": settings.to_dict(),
        "model_rouge": dict(zip(("rouge1", "rouge2", "rougeL"), model_scores.mean(axis=0).round(2).tolist())),
        "lead10_rouge": dict(zip(("rouge1", "rouge2", "rougeL"), lead_scores.mean(axis=0).round(2).tolist())),
        "rougeL_gain_over_lead10": {"mean": round(gain, 2), "ci95": [round(low, 2), round(high, 2)]},
        "headlines": headline_stats(predictions),
        "seconds_per_summary": round(seconds / len(pairs), 4),
    }
    if other is not None:
        delta = paired_bootstrap(model_scores[:, 2], rouge_per_pair(other, references)[:, 2])
        result["rougeL_gain_over_compared"] = {"file": args.compare_predictions, "mean": round(delta[0], 2),
                                               "ci95": [round(delta[1], 2), round(delta[2], 2)]}
    if args.save_predictions:
        Path(args.save_predictions).write_text("".join(json.dumps({"prediction": p}) + "\n" for p in predictions),
                                               encoding="utf-8")
    if args.show:
        result["examples"] = [{"reference": r, "model": p} for r, p in list(zip(references, predictions))[: args.show]]
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{len(pairs)} pairs, model {summarizer.name}, beam {settings.beam_size}")
    print(f"{'':10s} {'R1':>6s} {'R2':>6s} {'RL':>6s}")
    for name, key in (("model", "model_rouge"), ("LEAD-10", "lead10_rouge")):
        r = result[key]
        print(f"{name:10s} {r['rouge1']:6.2f} {r['rouge2']:6.2f} {r['rougeL']:6.2f}")
    print(f"RL gain over LEAD-10: {gain:+.2f} (95% CI {low:+.2f} .. {high:+.2f})")
    if "rougeL_gain_over_compared" in result:
        c = result["rougeL_gain_over_compared"]
        print(f"RL gain over {c['file']}: {c['mean']:+.2f} (95% CI {c['ci95'][0]:+.2f} .. {c['ci95'][1]:+.2f})")
    print(f"headlines: {json.dumps(result['headlines'])}")
    for ex in result.get("examples", []):
        print(f"- ref: {ex['reference']}\n  out: {ex['model']}")


def _other_predictions(path: str | None, count: int) -> list[str] | None:
    """Another model's predictions of the same pairs (JSONL {"prediction": ...}, as scripts/predict.py and
    --save-predictions write), or None."""
    if path is None:
        return None
    try:
        rows = [json.loads(line)["prediction"] for line in Path(path).read_text(encoding="utf-8").splitlines()
                if line.strip()]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"cannot read predictions from {path}: {exc}") from None
    if len(rows) < count or not all(isinstance(r, str) for r in rows):
        raise InputError(f"{path} has {len(rows)} predictions for {count} pairs (or a prediction is not text)")
    return rows[:count]


def parse_method_params(items: list[str], seed: int | None, methods: list[str]) -> dict[str, dict]:
    """['lime.n_samples=500', ...] → {'lime': {'n_samples': 500}}; --seed goes to each chosen method that takes one."""
    from attnviz.explain import method_parameters

    params: dict[str, dict] = {}
    for item in items:
        key, sep, value = item.partition("=")
        method, dot, name = key.partition(".")
        if not sep or not dot or not name:
            raise InputError(f"--param takes METHOD.NAME=VALUE, not {item!r}")
        try:
            params.setdefault(method, {})[name] = json.loads(value)
        except json.JSONDecodeError:
            params.setdefault(method, {})[name] = value
    if seed is not None:
        for method in methods:
            if "seed" in method_parameters(method):
                params.setdefault(method, {}).setdefault("seed", seed)
    return params


def cmd_explain(args: argparse.Namespace) -> None:
    from attnviz.explain import explain, method_names

    text = read_text_argument(args.text, args.file)
    methods = method_names(args.methods)
    params = parse_method_params(args.param, args.seed, methods)
    summarizer = _summarizer(args)
    generation = summarizer.summarize(text, _decoding(args))
    progress = None if args.json else (lambda name: print(f"  computing {name} …", file=sys.stderr))
    results = explain(summarizer.model, generation, methods, params=params, progress=progress)
    if args.json:
        from attnviz.explain import ForcedScorer
        from attnviz.report import compare_results

        sections = compare_results(ForcedScorer(summarizer.model, generation), results,
                                   random_orders=args.random_orders, seed=args.seed or 0)
        print(json.dumps({"summary": generation.summary, "summary_tokens": generation.summary_tokens,
                          "source_tokens": generation.source_tokens,
                          "methods": {name: a.to_json() for name, a in results.items()}, **sections},
                         ensure_ascii=False, allow_nan=False))
        return
    print(f"summary: {generation.summary}")
    print(f"{'method':22s} {'seconds':>8s} {'forward':>8s} {'backward':>8s}  top source tokens for the first summary token")
    for name, a in results.items():
        top = ", ".join(generation.source_tokens[j] for j in a.scores[0].argsort()[::-1][:3])
        print(f"{name:22s} {a.seconds:8.2f} {a.forward_passes:8d} {a.backward_passes:8d}  {top}")


def cmd_report(args: argparse.Namespace) -> None:
    from attnviz.explain import method_names
    from attnviz.report import ReportSettings, progress_bar, run_report, write_report

    pairs = _read_pairs_argument(args.pairs, args.limit)
    if args.workers < 1:
        raise InputError("--workers must be at least 1")
    methods = method_names(args.methods)
    settings = ReportSettings(model=args.model, methods=tuple(methods),
                              params=parse_method_params(args.param, args.seed, methods), decoding=_decoding(args),
                              random_orders=args.random_orders, seed=args.seed or 0,
                              max_source_tokens=args.max_source_tokens)
    report = run_report([p["text"] for p in pairs], settings, scheduler=args.scheduler, workers=args.workers,
                        serial=args.serial, progress=progress_bar)
    json_path, html_path = write_report(report, Path(args.out))
    print(f"{len(pairs)} documents in {report['seconds']} s ({report['documents_per_minute']} per minute, "
          f"{report['mode']}); wrote {json_path} and {html_path}")


def cmd_examples(args: argparse.Namespace) -> None:
    from attnviz.examples import EXAMPLES_PATH, write_examples

    examples = write_examples(Path(args.data_dir))
    print(f"wrote {len(examples)} examples to {EXAMPLES_PATH}")


def cmd_check(args: argparse.Namespace) -> None:
    from attnviz.axioms import check_model
    from attnviz.bench import bench_text

    text = bench_text(400)[0] if args.text is None and args.file is None else read_text_argument(args.text, args.file)
    if not check_model(_summarizer(args), text, _decoding(args), rows=args.rows, as_json=args.json):
        raise SystemExit(1)


def cmd_bench(args: argparse.Namespace) -> None:
    if args.compare:
        from attnviz.bench_compare import print_compare_bench, run_compare_bench

        print_compare_bench(run_compare_bench(args.model, documents=args.documents, repeats=args.repeats))
        return
    if args.explain:
        from attnviz.bench_explain import SOURCE_TOKENS, peak_rss_mb, print_explain_bench, run_explain_bench

        results = run_explain_bench(args.model, tokens=args.tokens or SOURCE_TOKENS, repeats=args.repeats)
        results["rss"] = peak_rss_mb(1000, model=args.model)
        print_explain_bench(results)
        return
    from attnviz.bench import print_latency, run_latency

    print_latency(run_latency(args.model, tokens=args.tokens or 400, runs=args.runs, device=args.device))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m attnviz", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("data", help="fetch the corpora and build fixed splits")
    p.add_argument("--data-dir", default="data")
    p.set_defaults(run=cmd_data)

    p = sub.add_parser("train", help="train a model (settings: attnviz.train.TrainSettings)")
    from attnviz.train import TrainSettings

    for f in fields(TrainSettings):
        flag = "--" + f.name.replace("_", "-")
        if f.type in ("bool", bool):
            p.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=f.default)
        else:
            kind = {"int": int, "float": float, "str": str}[str(f.type)]
            p.add_argument(flag, dest=f.name, type=kind, default=f.default)
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("summarize", help="summarize a text")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--text")
    source.add_argument("--file", help="a UTF-8 text file, or - for standard input")
    _add_model_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object with attention and log-probs")
    p.set_defaults(run=cmd_summarize)

    p = sub.add_parser("evaluate", help="ROUGE of the model and of LEAD-10 on a JSONL file of pairs")
    p.add_argument("--pairs", required=True, help='JSONL, one {"text": ..., "summary": ...} per line')
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--show", type=int, default=0, help="print this many example outputs")
    p.add_argument("--save-predictions", default=None, metavar="FILE", help="write the summaries as JSONL")
    p.add_argument("--compare-predictions", default=None, metavar="FILE",
                   help="another model's predictions of the same pairs (JSONL): paired bootstrap of the RL gain")
    _add_model_options(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_evaluate)

    p = sub.add_parser("explain", help="attention and attribution methods for every summary token")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--text")
    source.add_argument("--file", help="a UTF-8 text file, or - for standard input")
    p.add_argument("--methods", default="all", help="comma-separated method names, or all")
    p.add_argument("--param", action="append", default=[], metavar="METHOD.NAME=VALUE",
                   help="a method parameter, e.g. lime.n_samples=500 (repeatable)")
    p.add_argument("--seed", type=int, default=None, help="seed for the sampling methods")
    p.add_argument("--random-orders", type=int, default=10,
                   help="random source orders for the faithfulness baseline in --json (default 10)")
    _add_model_options(p)
    p.add_argument("--json", action="store_true",
                   help="one JSON object with every method's scores, and agreement and faithfulness sections")
    p.set_defaults(run=cmd_explain)

    p = sub.add_parser("report", help="agreement and faithfulness over a corpus (JSON + HTML), documents over Dask")
    p.add_argument("--pairs", required=True, help='JSONL, one {"text": ...} per line')
    p.add_argument("--methods", default="attention,integrated_gradients,occlusion,lime",
                   help="comma-separated method names, or all")
    p.add_argument("--param", action="append", default=[], metavar="METHOD.NAME=VALUE")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--random-orders", type=int, default=10)
    p.add_argument("--limit", type=int, default=0, help="only the first N documents")
    p.add_argument("--out", required=True, help="folder for report.json and report.html")
    p.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler (default: a local cluster)")
    p.add_argument("--workers", type=int, default=2, help="workers of the local cluster (default 2)")
    p.add_argument("--serial", action="store_true", help="no Dask: one document after another in this process")
    _add_model_options(p)                              # --device is not used: every worker runs on the CPU
    p.set_defaults(run=cmd_report)

    p = sub.add_parser("examples", help="pick the app's example texts from the news test split")
    p.add_argument("--data-dir", default="data")
    p.set_defaults(run=cmd_examples)

    p = sub.add_parser("check", help="check the explainers against answers computed another way (exact Shapley and "
                                     "Owen values, LIME's ridge, a fine IG quadrature, per-token captum calls); "
                                     "exit status 1 if one fails")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--text", help="default: news test articles cut to 400 tokens (or random words)")
    source.add_argument("--file", help="a UTF-8 text file, or - for standard input")
    p.add_argument("--rows", type=int, default=None,
                   help="compare with per-token captum calls on the first ROWS summary tokens only (default: all)")
    _add_model_options(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_check)

    p = sub.add_parser("bench", help="latency of summarizing a 400-token input (greedy and beam 4)")
    p.add_argument("--model", default=None)
    p.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"])
    p.add_argument("--tokens", type=int, default=None,
                   help="source tokens (default: 400 for latency, 300 with --explain)")
    p.add_argument("--runs", type=int, default=21)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--explain", action="store_true",
                       help="benchmark the explanation methods instead (shared passes vs per-token captum; ~10 minutes)")
    which.add_argument("--compare", action="store_true",
                       help="benchmark faithfulness against its floor and the corpus report serial vs Dask instead")
    p.add_argument("--documents", type=int, default=8, help="with --compare: documents in the report benchmark")
    p.add_argument("--repeats", type=int, default=3, help="with --explain or --compare: timed repeats per side")
    p.set_defaults(run=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except AttnvizError as exc:
        print(f"attnviz: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("attnviz: interrupted", file=sys.stderr)
        return 130
    return 0

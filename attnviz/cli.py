"""Command line: python -m attnviz {data,train,summarize,evaluate,examples,explain,report,check} ... (see --help of each)."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import Field, fields
from pathlib import Path
from typing import NoReturn

from attnviz.errors import AttnvizError, InputError
from attnviz.features import DEFAULT_LANGUAGE, GRANULARITIES, parse_starts


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


def _add_model_options(p: argparse.ArgumentParser, *, device: bool = True) -> None:
    """--model, the source limit and the decoding options; --device unless the command picks its own."""
    from attnviz.models.base import DecodingSettings

    default = DecodingSettings()
    p.add_argument("--model", default=None, help="a model folder (an attnviz checkpoint or a Hugging Face encoder-decoder saved with "
                   "save_pretrained), or its name under pretrained/ or $ATTNVIZ_MODELS (default: the shipped model)")
    if device:
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
    from attnviz.models.base import DecodingSettings

    return DecodingSettings(beam_size=args.beam, max_len=args.max_len, min_len=min(args.min_len, args.max_len),
                            length_penalty=args.length_penalty, no_repeat_ngram=args.no_repeat_ngram)


def _summarizer(args: argparse.Namespace):
    from attnviz.models.loading import load_model

    return load_model(args.model, device=args.device, max_source_tokens=args.max_source_tokens)


def cmd_data(args: argparse.Namespace) -> None:
    from attnviz.data import prepare_data

    counts = prepare_data(Path(args.data_dir))
    print(json.dumps(counts, indent=2))


def cmd_train(args: argparse.Namespace) -> None:
    from attnviz.models.pointer.train import TrainSettings, train

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


def _read_pairs_argument(path: str, limit: int, keys: tuple[str, ...] = ("text", "summary")) -> list[dict]:
    """The first ``limit`` (0 = all) pairs of a JSONL file; InputError for an unreadable, bad or empty file."""
    from attnviz.data import read_pairs

    if limit < 0:
        raise InputError(f"--limit must be 0 (all) or more, not {limit}")
    try:
        pairs = read_pairs(Path(path), keys)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise InputError(str(exc)) from None
    pairs = pairs[:limit] if limit else pairs
    if not pairs:
        raise InputError(f"{path} holds no pairs")
    return pairs


def cmd_evaluate(args: argparse.Namespace) -> None:
    from attnviz.evaluate import evaluate_pairs

    pairs = _read_pairs_argument(args.pairs, args.limit)
    summarizer, settings = _summarizer(args), _decoding(args)
    progress = None if args.json else _print_every_50th
    result, predictions = evaluate_pairs(summarizer, pairs, settings, compare_predictions=args.compare_predictions,
                                         show=args.show, progress=progress)
    if args.save_predictions:
        Path(args.save_predictions).write_text("".join(json.dumps({"prediction": p}) + "\n" for p in predictions),
                                               encoding="utf-8")
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{len(pairs)} pairs, model {summarizer.name}, beam {settings.beam_size}")
    print(f"{'':10s} {'R1':>6s} {'R2':>6s} {'RL':>6s}")
    for name, key in (("model", "model_rouge"), ("LEAD-10", "lead10_rouge")):
        r = result[key]
        print(f"{name:10s} {r['rouge1']:6.2f} {r['rouge2']:6.2f} {r['rougeL']:6.2f}")
    lead = result["rougeL_gain_over_lead10"]
    print(f"RL gain over LEAD-10: {lead['mean']:+.2f} (95% CI {lead['ci95'][0]:+.2f} .. {lead['ci95'][1]:+.2f})")
    for source, figures in result.get("by_source", {}).items():
        gain, model, lead10 = (figures["rougeL_gain_over_lead10"], figures["model_rouge"], figures["lead10_rouge"])
        print(f"  {source} ({figures['pairs']} pairs): model R1/R2/RL {model['rouge1']:.2f}/{model['rouge2']:.2f}/"
              f"{model['rougeL']:.2f}, LEAD-10 {lead10['rouge1']:.2f}/{lead10['rouge2']:.2f}/{lead10['rougeL']:.2f}, "
              f"RL gain {gain['mean']:+.2f} ({gain['ci95'][0]:+.2f} .. {gain['ci95'][1]:+.2f})")
    if "rougeL_gain_over_compared" in result:
        c = result["rougeL_gain_over_compared"]
        print(f"RL gain over {c['file']}: {c['mean']:+.2f} (95% CI {c['ci95'][0]:+.2f} .. {c['ci95'][1]:+.2f})")
    print(f"headlines: {json.dumps(result['headlines'])}")
    for ex in result.get("examples", []):
        print(f"- ref: {ex['reference']}\n  out: {ex['model']}")


def _print_every_50th(done: int, total: int) -> None:
    """Progress of ``evaluate`` on standard error."""
    if done % 50 == 0:
        print(f"  {done}/{total}", file=sys.stderr)


def _max_seconds(args: argparse.Namespace) -> float | None:
    """--max-seconds as a limit (0 = none); InputError for a negative or non-finite value."""
    import math

    if not math.isfinite(args.max_seconds) or args.max_seconds < 0:
        raise InputError(f"--max-seconds must be 0 (no limit) or a positive number of seconds, not {args.max_seconds}")
    return args.max_seconds or None


def parse_method_params(items: list[str]) -> dict[str, dict]:
    """['lime.n_samples=500', ...] → {'lime': {'n_samples': 500}} (values read as JSON where they parse)."""
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
    return params


def cmd_explain(args: argparse.Namespace) -> None:
    from attnviz.explain import method_names
    from attnviz.explanation import ATTENTION
    from attnviz.pipeline import explain_text

    text = read_text_argument(args.text, args.file)
    methods = method_names(args.methods)
    progress = None if args.json else (lambda name: print(f"  computing {name} …", file=sys.stderr))
    explanation = explain_text(_summarizer(args), text, methods, decoding=_decoding(args),
                               params=parse_method_params(args.param), random_orders=args.random_orders,
                               seed=args.seed, with_faithfulness=args.json,
                               with_head_faithfulness=args.head_faithfulness, max_seconds=_max_seconds(args),
                               pointer_split=args.copy_split, counterfactual=args.counterfactual, seeds=args.seeds,
                               progress=progress, **_granularity(args))
    if args.json:
        print(explanation.dumps())
        return
    units = explanation.units
    print(f"summary: {units.summary}")
    if explanation.features is not None:
        print(f"{explanation.features.count} {explanation.features.kind} as features:")
        for g, (label, (start, stop)) in enumerate(zip(explanation.features.labels, explanation.features.bounds)):
            print(f"  [{g}] tokens {start}-{stop - 1}: {_shortened(label)}")
    unit = "tokens" if explanation.features is None else f"{explanation.features.kind} [#]"
    print(f"{'method':22s} {'seconds':>8s} {'forward':>8s} {'backward':>8s}  top source {unit} for the first summary token")
    for name, a in explanation.attributions.items():
        if name in methods or name.startswith(f"{ATTENTION} ("):
            top = ", ".join(units.source_tokens[j] if explanation.features is None else f"[{j}]"
                            for j in a.scores[0].argsort()[::-1][:3])
            print(f"{name:22s} {a.seconds:8.2f} {a.forward_passes:8d} {a.backward_passes:8d}  {top}")
    if explanation.head_faithfulness is not None:
        print_head_faithfulness(explanation.head_faithfulness)
    if explanation.counterfactual is not None:
        print_counterfactual(explanation.counterfactual)
    if explanation.stability:
        print_stability(explanation)


def print_stability(explanation) -> None:
    """Each sampling method over its seeds: rank τ between seeds, the largest score spread, and Spearman ρ
    with attention as mean ± std over seeds, differences within twice the spread marked as noise."""
    from attnviz.stability import agreement_spread, within_noise

    spread = agreement_spread(explanation.stability, "spearman_rho")
    print(f"\nstability over seeds ({'; '.join(f'{m}: {list(s.seeds)}' for m, s in explanation.stability.items())})")
    print(f"{'method':22s} {'rank τ between seeds':>21s} {'largest std':>12s} {'Spearman ρ with attention':>26s}")
    for name, s in explanation.stability.items():
        print(f"{name:22s} {s.mean_rank_tau:21.3f} {s.std.max():12.4f} "
              f"{spread[name]['mean']:17.3f} ± {spread[name]['std']:.3f}")
    names = list(spread)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if within_noise(spread[a]["mean"], spread[b]["mean"], [spread[a]["std"], spread[b]["std"]]):
                print(f"  {a} and {b}: their agreement with attention differs by less than twice the seeds' spread (noise)")


def print_counterfactual(result) -> None:
    """Each counterfactual's mean and largest change of the summary tokens' log-probabilities and the share of
    tokens greedy decoding would still pick."""
    print(f"\ncounterfactual attention (1 teacher-forced pass of 4 rows, {result.seconds:.2f} s; top k = {result.k})")
    print(f"{'variant':16s} {'mean Δ log-prob':>16s} {'largest drop':>13s} {'same greedy token':>18s}")
    for variant, figures in result.summary().items():
        print(f"{variant:16s} {figures['mean_change']:16.3f} {figures['largest_drop']:13.3f} "
              f"{figures['same_greedy_share']:18.0%}")


def _shortened(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def print_head_faithfulness(heads) -> None:
    """AOPC comprehensiveness per layer (rows) and head (columns), the most faithful head and chance."""
    print("\nAOPC comprehensiveness of each head's attention (higher: more faithful)")
    print("layer " + "".join(f"{'head ' + str(h):>9s}" for h in range(heads.comprehensiveness.shape[1])))
    for layer, row in enumerate(heads.comprehensiveness):
        print(f"{layer:5d} " + "".join(f"{v:9.3f}" for v in row))
    layer, head = heads.most_faithful()
    print(f"most faithful: layer {layer}, head {head}; random order: {heads.random['comprehensiveness']:.3f} "
          f"± {heads.random['comprehensiveness_std']:.3f}")


def progress_bar(done: int, total: int) -> None:
    """A one-line progress bar on standard error."""
    width = 30
    filled = int(width * done / max(total, 1))
    end = "\n" if done == total else ""
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} documents", end=end, file=sys.stderr, flush=True)


def cmd_report(args: argparse.Namespace) -> None:
    from attnviz.explain import method_names
    from attnviz.report import (
        ReportSettings,
        check_output_folder,
        counterfactual_rows,
        run_models_report,
        run_report,
        token_kind_table,
        write_report,
    )

    pairs = _read_pairs_argument(args.pairs, args.limit, keys=("text",))
    if not 1 <= args.workers <= 64:
        raise InputError(f"--workers must be from 1 to 64, not {args.workers}")
    out = Path(args.out)
    check_output_folder(out)
    settings = ReportSettings(model=args.model, methods=tuple(method_names(args.methods)),
                              params=parse_method_params(args.param), decoding=_decoding(args),
                              random_orders=args.random_orders, seed=args.seed,
                              max_source_tokens=args.max_source_tokens, keep_explanations=args.explanations,
                              max_seconds=_max_seconds(args), granularity=args.granularity, language=args.language)
    texts, run = [p["text"] for p in pairs], dict(scheduler=args.scheduler, workers=args.workers, serial=args.serial,
                                                  progress=progress_bar)
    if args.models is not None:
        if args.model is not None:
            raise InputError("give either --model or --models, not both")
        models = [m.strip() for m in args.models.split(",") if m.strip()]
        report = run_models_report(texts, settings, models, **run)
        reports = report["models"]
    else:
        report = run_report(texts, settings, **run)
        reports = {args.model or "the shipped model": report}
    json_path, html_path = write_report(report, out)
    for name, one in reports.items():
        failed = one["aggregate"]["failed"]
        print(f"{name}: {len(pairs)} documents ({len(pairs) - failed} explained, {failed} could not be summarized) in "
              f"{one['seconds']} s ({one['documents_per_minute']} per minute, {one['mode']})")
        if failed == len(pairs):
            raise InputError(f"{name}: none of the {len(pairs)} documents could be summarized (the reasons are in "
                             f"the report)")
    if "table" in report:
        print_models_table(report["table"])
    print_token_kinds(token_kind_table(reports))
    print_counterfactual_rows(counterfactual_rows(reports))
    print(f"wrote {json_path} and {html_path}")


def print_models_table(table: list[dict]) -> None:
    """Every model × method: Spearman ρ with its model's attention and AOPC comprehensiveness / sufficiency,
    each as mean [bootstrap 95% interval]."""
    from attnviz.report import interval_text as cell

    print(f"{'model':28s} {'method':22s} {'Spearman ρ with attention':>26s} {'AOPC comprehensiveness':>26s} "
          f"{'AOPC sufficiency':>26s}")
    for row in table:
        print(f"{row['model'][:28]:28s} {row['method'][:22]:22s} "
              f"{cell((row['agreement_with_attention'] or {}).get('spearman_rho')):>26s} "
              f"{cell(row['aopc_comprehensiveness']):>26s} {cell(row['aopc_sufficiency']):>26s}")


def print_token_kinds(rows: list[dict]) -> None:
    """Copied versus generated summary tokens: each method's Spearman ρ with attention and AOPC
    comprehensiveness over those tokens only, mean [bootstrap 95% interval]."""
    from attnviz.report import COPIED_BELOW
    from attnviz.report import interval_text as cell

    if not rows:
        return
    print(f"\ncopied (p_gen < {COPIED_BELOW}) or generated summary tokens")
    print(f"{'model':28s} {'method':22s} {'tokens':>10s} {'share':>22s} {'Spearman ρ with attention':>26s} "
          f"{'AOPC comprehensiveness':>26s}")
    for row in rows:
        print(f"{row['model'][:28]:28s} {row['method'][:22]:22s} {row['kind']:>10s} {cell(row['share']):>22s} "
              f"{cell(row['spearman_rho']):>26s} {cell(row['aopc_comprehensiveness']):>26s}")


def print_counterfactual_rows(rows: list[dict]) -> None:
    """Counterfactual attention per model and variant, mean [bootstrap 95% interval] over documents."""
    from attnviz.report import interval_text as cell

    if not rows:
        return
    print("\ncounterfactual attention (summary tokens re-scored with attention replaced)")
    print(f"{'model':28s} {'attention':16s} {'mean Δ log-prob':>26s} {'greedy token kept':>26s}")
    for row in rows:
        print(f"{row['model'][:28]:28s} {row['variant']:16s} {cell(row['mean_change']):>26s} "
              f"{cell(row['same_greedy_share']):>26s}")


def cmd_examples(args: argparse.Namespace) -> None:
    from attnviz.examples import EXAMPLES_PATH, write_examples

    examples = write_examples(Path(args.data_dir))
    print(f"wrote {len(examples)} examples to {EXAMPLES_PATH}")


def cmd_check(args: argparse.Namespace) -> None:
    from attnviz.axioms import check_model
    from attnviz.examples import long_text

    if args.rows is not None and args.rows < 1:
        raise InputError(f"--rows must be at least 1, not {args.rows}")
    text = long_text(400)[0] if args.text is None and args.file is None else read_text_argument(args.text, args.file)
    if not check_model(_summarizer(args), text, _decoding(args), rows=args.rows, as_json=args.json):
        raise SystemExit(1)


_OPTION_TYPES: dict[str, type] = {"bool": bool, "int": int, "float": float, "str": str}


def _option_type(cls: type, f: Field) -> type:
    """The option type of a dataclass field annotated bool, int, float or str, or one of those | None."""
    annotation = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    names = {name.strip() for name in annotation.split("|")} - {"None"}
    if len(names) != 1 or not names <= _OPTION_TYPES.keys():
        raise TypeError(f"{cls.__name__}.{f.name} is annotated {annotation!r}; a command-line option needs "
                        f"bool, int, float or str (or one of those | None)")
    return _OPTION_TYPES[names.pop()]


def _add_dataclass_options(parser: argparse.ArgumentParser, cls: type) -> None:
    """One --option per field of the dataclass ``cls`` (``--no-x`` too for a bool), defaulting to the field's default."""
    for f in fields(cls):
        flag, kind = "--" + f.name.replace("_", "-"), _option_type(cls, f)
        if kind is bool:
            parser.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=f.default)
        else:
            parser.add_argument(flag, dest=f.name, type=kind, default=f.default)


def _add_text_source(p: argparse.ArgumentParser, *, required: bool = True, default: str | None = None) -> None:
    source = p.add_mutually_exclusive_group(required=required)
    source.add_argument("--text", help=default)
    source.add_argument("--file", help="a UTF-8 text file, or - for standard input")


def _add_method_options(p: argparse.ArgumentParser, *, methods: str) -> None:
    """--methods, --param, --seed, --random-orders (the faithfulness baseline) and --max-seconds."""
    from attnviz.explain.cost import MAX_REQUEST_SECONDS

    p.add_argument("--methods", default=methods, help=f"comma-separated method names, or all (default {methods})")
    p.add_argument("--param", action="append", default=[], metavar="METHOD.NAME=VALUE",
                   help="a method parameter, e.g. lime.n_samples=500 (repeatable)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampling methods and of the random baseline")
    p.add_argument("--random-orders", type=int, default=10,
                   help="random source orders of the faithfulness baseline (default 10)")
    p.add_argument("--max-seconds", type=float, default=MAX_REQUEST_SECONDS,
                   help=f"refuse a text whose methods would take longer than this, estimated on it before they run "
                        f"(default {MAX_REQUEST_SECONDS:.0f}; 0 = no limit)")
    p.add_argument("--granularity", default="tokens", choices=GRANULARITIES, type=lambda v: _PLURAL.get(v, v),
                   help="what the methods explain: source tokens, sentences (each present or absent as a whole) "
                        "or --spans (default tokens)")
    p.add_argument("--language", default=DEFAULT_LANGUAGE, help="the source's language code, for sentence splitting")


_PLURAL = {"token": "tokens", "sentence": "sentences", "span": "spans"}


def _granularity(args: argparse.Namespace) -> dict:
    """explain_text's granularity keywords from --granularity, --spans and --language."""
    spans = getattr(args, "spans", None)
    if spans is not None and args.granularity != "spans":
        raise InputError("--spans needs --granularity spans")
    return {"granularity": args.granularity, "language": args.language,
            "span_starts": None if spans is None else parse_starts(spans)}


def _data_parsers(sub) -> None:
    p = sub.add_parser("data", help="fetch the corpora and build fixed splits")
    p.add_argument("--data-dir", default="data")
    p.set_defaults(run=cmd_data)
    p = sub.add_parser("examples", help="pick the app's example texts from the news test split")
    p.add_argument("--data-dir", default="data")
    p.set_defaults(run=cmd_examples)


def _model_parsers(sub) -> None:
    from attnviz.models.pointer.train import TrainSettings

    p = sub.add_parser("train", help="train a model (settings: attnviz.models.pointer.train.TrainSettings)")
    _add_dataclass_options(p, TrainSettings)
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("summarize", help="summarize a text")
    _add_text_source(p)
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


def _explanation_parsers(sub) -> None:
    from attnviz.report import DEFAULT_REPORT_METHODS

    p = sub.add_parser("explain", help="attention and attribution methods for every summary token")
    _add_text_source(p)
    _add_method_options(p, methods="all")
    _add_model_options(p)
    p.add_argument("--json", action="store_true",
                   help="print the explanation document: every method's scores, agreement and faithfulness")
    p.add_argument("--head-faithfulness", action="store_true",
                   help="also measure each layer and head's attention as a ranking (faithfulness per head; "
                        "in the --json document, else a table)")
    p.add_argument("--counterfactual", action="store_true",
                   help="re-score the summary with attention made uniform, permuted, or without its top 3 tokens: "
                        "the change of each token's log-probability and whether greedy decoding keeps it")
    p.add_argument("--seeds", type=int, default=1,
                   help="run each sampling method (lime, kernel_shap, partition_shap) with this many seeds and report "
                        "how stable it is: spread, rank τ between seeds, agreement with attention ± its spread")
    p.add_argument("--copy-split", action="store_true",
                   help="a pointer-generator's attention split into what it copied, (1 - p_gen) · attention, and what "
                        "fed the generator, p_gen · attention: two more rows, compared and measured like methods")
    p.add_argument("--spans", default=None, metavar="0,12,40",
                   help="with --granularity spans: the source token positions where spans begin")
    p.set_defaults(run=cmd_explain)

    p = sub.add_parser("report", help="agreement and faithfulness over a corpus (JSON + HTML), documents over Dask")
    p.add_argument("--pairs", required=True, help='JSONL, one {"text": ...} per line')
    _add_method_options(p, methods=",".join(DEFAULT_REPORT_METHODS))
    p.add_argument("--explanations", action="store_true",
                   help="also write each document's whole explanation to OUT/explanations/NNNN.json (opens in the page)")
    p.add_argument("--limit", type=int, default=0, help="only the first N documents")
    p.add_argument("--out", required=True, help="folder for report.json and report.html")
    p.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler (default: a local cluster)")
    p.add_argument("--workers", type=int, default=2, help="workers of the local cluster (default 2)")
    p.add_argument("--serial", action="store_true", help="no Dask: one document after another in this process")
    p.add_argument("--models", default=None, metavar="A,B,...",
                   help="compare models (names or folders, comma-separated) on the same documents: a table of every "
                        "model × method's agreement with that model's attention and faithfulness (replaces --model)")
    _add_model_options(p, device=False)               # every worker runs on the CPU, one thread
    p.set_defaults(run=cmd_report)

    p = sub.add_parser("check", help="check the explainers against answers computed another way (exact Shapley and "
                                     "Owen values, LIME's ridge, a fine IG quadrature, per-token captum calls); "
                                     "exit status 1 if one fails")
    _add_text_source(p, required=False, default="default: news test articles cut to 400 tokens (or random words)")
    p.add_argument("--rows", type=int, default=None,
                   help="compare with per-token captum calls on the first ROWS summary tokens only (default: all)")
    _add_model_options(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_check)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m attnviz", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _data_parsers(sub)
    _model_parsers(sub)
    _explanation_parsers(sub)
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

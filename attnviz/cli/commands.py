"""The command line's commands: each ``cmd_NAME(args)`` runs ``python -m attnviz NAME`` on parsed arguments."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields
from pathlib import Path

from attnviz.cli.tables import (
    print_counterfactual,
    print_counterfactual_rows,
    print_head_faithfulness,
    print_models_table,
    print_stability,
    print_token_kinds,
    progress_bar,
    shortened,
)
from attnviz.errors import InputError, first_line
from attnviz.features import parse_starts


def read_text_argument(text: str | None, file: str | None) -> str:
    """The text from --text, or from --file ('-' = standard input), as UTF-8."""
    from attnviz.textfile import read_text_file

    return text if text is not None else read_text_file(file)


def _decoding(args: argparse.Namespace):
    from attnviz.models.base import DecodingSettings

    return DecodingSettings(beam_size=args.beam, max_len=args.max_len, min_len=min(args.min_len, args.max_len),
                            length_penalty=args.length_penalty, no_repeat_ngram=args.no_repeat_ngram)


def _summarizer(args: argparse.Namespace):
    """The model of --model on --device, with torch's threads set from --threads (default: the free cores)."""
    import torch

    from attnviz.models.loading import load_model
    from attnviz.threads import free_cores, usable_cores

    threads = free_cores() if args.threads is None else args.threads
    if not 1 <= threads <= 4 * usable_cores():
        raise InputError(f"--threads must be from 1 to {4 * usable_cores()}, not {threads}")
    torch.set_num_threads(threads)
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
    from attnviz.data.pairs import parse_pairs
    from attnviz.textfile import MAX_LIST_BYTES, read_user_file
    from attnviz.userinput import shown_name

    if limit < 0:
        raise InputError(f"--limit must be 0 (all) or more, not {limit}")
    try:
        lines = read_user_file(path, limit=MAX_LIST_BYTES).decode("utf-8-sig").splitlines()
        pairs = parse_pairs(lines, shown_name(path), keys)
    except UnicodeDecodeError:
        raise InputError(f"{shown_name(path)}: not UTF-8 text") from None
    except InputError:
        raise
    except ValueError as exc:
        raise InputError(str(exc)) from None
    pairs = pairs[:limit] if limit else pairs
    if not pairs:
        raise InputError(f"{shown_name(path)} holds no pairs")
    return pairs


def cmd_evaluate(args: argparse.Namespace) -> None:
    from attnviz.evaluate import evaluate_pairs
    from attnviz.textfile import check_output_file, write_user_file

    pairs = _read_pairs_argument(args.pairs, args.limit)
    save = None if args.save_predictions is None else Path(args.save_predictions)
    if save is not None:
        check_output_file(save)
    summarizer, settings = _summarizer(args), _decoding(args)
    progress = None if args.json else _print_every_50th
    result, predictions = evaluate_pairs(summarizer, pairs, settings, compare_predictions=args.compare_predictions,
                                         show=args.show, progress=progress)
    if save is not None:
        write_user_file(save, "".join(json.dumps({"prediction": p}) + "\n" for p in predictions))
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
    """['lime.n_samples=500', ...] → {'lime': {'n_samples': 500}} (``attnviz.userinput.parameter_value``)."""
    from attnviz.userinput import parameter_value, shown

    params: dict[str, dict] = {}
    for item in items:
        key, sep, value = item.partition("=")
        method, dot, name = key.partition(".")
        if not sep or not dot or not name:
            raise InputError(f"--param takes METHOD.NAME=VALUE, not {shown(item)}")
        params.setdefault(method, {})[name] = parameter_value(value, f"--param {shown(key)}")
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
            print(f"  [{g}] tokens {start}-{stop - 1}: {shortened(label)}")
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


def cmd_report(args: argparse.Namespace) -> None:
    from attnviz.explain import method_names
    from attnviz.parallel import check_scheduler
    from attnviz.report import (
        ReportSettings,
        counterfactual_rows,
        run_models_report,
        run_report,
        token_kind_table,
        write_report,
    )
    from attnviz.textfile import check_output_folder

    pairs = _read_pairs_argument(args.pairs, args.limit, keys=("text",))
    if not 1 <= args.workers <= 64:
        raise InputError(f"--workers must be from 1 to 64, not {args.workers}")
    check_output_folder(args.out, "the report")
    out = Path(args.out)
    if args.scheduler is not None:
        check_scheduler(args.scheduler)
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


def cmd_examples(args: argparse.Namespace) -> None:
    from attnviz.data import split_path
    from attnviz.examples import EXAMPLES_PATH, write_examples
    from attnviz.userinput import shown_name

    test_split = split_path("test", "news", Path(args.data_dir))
    if not test_split.is_file():
        raise InputError(f"the data folder {shown_name(args.data_dir)} has no {shown_name(test_split)}; run "
                         f"python -m attnviz data first")
    try:
        examples = write_examples(Path(args.data_dir))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot pick examples from {shown_name(test_split)}: {first_line(exc)}") from None
    print(f"wrote {len(examples)} examples to {EXAMPLES_PATH}")


def cmd_check(args: argparse.Namespace) -> None:
    from attnviz.axioms import check_model
    from attnviz.examples import long_text

    if args.rows is not None and args.rows < 1:
        raise InputError(f"--rows must be at least 1, not {args.rows}")
    text = long_text(400)[0] if args.text is None and args.file is None else read_text_argument(args.text, args.file)
    if not check_model(_summarizer(args), text, _decoding(args), rows=args.rows, as_json=args.json):
        raise SystemExit(1)


def _granularity(args: argparse.Namespace) -> dict:
    """explain_text's granularity keywords from --granularity, --spans and --language."""
    spans = getattr(args, "spans", None)
    if spans is not None and args.granularity != "spans":
        raise InputError("--spans needs --granularity spans")
    return {"granularity": args.granularity, "language": args.language,
            "span_starts": None if spans is None else parse_starts(spans)}

"""Command line: python -m attnviz {data,train,summarize,evaluate,examples,explain,report,check} ... (see --help of each).

This module builds the parser and runs a command; ``commands`` holds what each command does, ``tables`` what
it prints."""
from __future__ import annotations

import argparse
import sys
from dataclasses import Field, fields
from typing import NoReturn

from attnviz.cli.commands import (
    cmd_check,
    cmd_data,
    cmd_evaluate,
    cmd_examples,
    cmd_explain,
    cmd_report,
    cmd_summarize,
    cmd_train,
)
from attnviz.errors import AttnvizError
from attnviz.features import DEFAULT_LANGUAGE, GRANULARITIES
from attnviz.userinput import option_type, real_number, whole_number

WHOLE_NUMBER, NUMBER = option_type(whole_number), option_type(real_number)     # every typed number option

class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad option as one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"attnviz: error: {message} (see --help)\n")


def _add_model_options(p: argparse.ArgumentParser, *, device: bool = True) -> None:
    """--model, the source limit and the decoding options; --device unless the command picks its own."""
    from attnviz.models.base import DecodingSettings

    default = DecodingSettings()
    p.add_argument("--model", default=None, help="a model folder (an attnviz checkpoint or a Hugging Face encoder-decoder saved with "
                   "save_pretrained), or its name under pretrained/ or $ATTNVIZ_MODELS (default: the shipped model)")
    if device:
        p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
        p.add_argument("--threads", type=WHOLE_NUMBER, default=None,
                       help="torch threads on the CPU (default: the cores that other running processes leave free)")
    p.add_argument("--max-source-tokens", type=WHOLE_NUMBER, default=None,
                   help="cut sources to this many tokens (default: the model's own limit)")
    p.add_argument("--beam", type=WHOLE_NUMBER, default=default.beam_size, help=f"beam size; 1 = greedy (default {default.beam_size})")
    p.add_argument("--max-len", type=WHOLE_NUMBER, default=default.max_len, help=f"maximum summary tokens (default {default.max_len})")
    p.add_argument("--min-len", type=WHOLE_NUMBER, default=default.min_len,
                   help=f"minimum summary tokens (default {default.min_len}, capped at --max-len)")
    p.add_argument("--length-penalty", type=NUMBER, default=default.length_penalty)
    p.add_argument("--no-repeat-ngram", type=WHOLE_NUMBER, default=default.no_repeat_ngram,
                   help=f"ban repeated n-grams of this size, 0 = off (default {default.no_repeat_ngram})")


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
            parser.add_argument(flag, dest=f.name, type={int: WHOLE_NUMBER, float: NUMBER}.get(kind, kind),
                                default=f.default)


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
    p.add_argument("--seed", type=WHOLE_NUMBER, default=0, help="seed of the sampling methods and of the random baseline")
    p.add_argument("--random-orders", type=WHOLE_NUMBER, default=10,
                   help="random source orders of the faithfulness baseline (default 10)")
    p.add_argument("--max-seconds", type=NUMBER, default=MAX_REQUEST_SECONDS,
                   help=f"refuse a text whose methods would take longer than this, estimated on it before they run "
                        f"(default {MAX_REQUEST_SECONDS:.0f}; 0 = no limit)")
    p.add_argument("--granularity", default="tokens", choices=GRANULARITIES, type=lambda v: _PLURAL.get(v, v),
                   help="what the methods explain: source tokens, sentences (each present or absent as a whole) "
                        "or --spans (default tokens)")
    p.add_argument("--language", default=DEFAULT_LANGUAGE, help="the source's language code, for sentence splitting")


_PLURAL = {"token": "tokens", "sentence": "sentences", "span": "spans"}


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
    p.add_argument("--limit", type=WHOLE_NUMBER, default=0)
    p.add_argument("--show", type=WHOLE_NUMBER, default=0, help="print this many example outputs")
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
    p.add_argument("--seeds", type=WHOLE_NUMBER, default=1,
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
    p.add_argument("--limit", type=WHOLE_NUMBER, default=0, help="only the first N documents")
    p.add_argument("--out", required=True, help="folder for report.json and report.html")
    p.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler (default: a local cluster)")
    p.add_argument("--workers", type=WHOLE_NUMBER, default=2, help="workers of the local cluster (default 2)")
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
    p.add_argument("--rows", type=WHOLE_NUMBER, default=None,
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

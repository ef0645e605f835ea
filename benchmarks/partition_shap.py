"""Benchmark: attnviz's partition_shap against shap's own text-to-text route, side by side.

    python benchmarks/partition_shap.py [--tokens 400] [--max-evals 500] [--runs 3] [--threads N] [--summary-tokens T]

shap's route (its summarization examples): ``shap.Explainer(model, tokenizer)`` wraps a seq2seq model
in ``shap.models.TeacherForcing`` (every evaluation scores all T summary tokens from the full-vocabulary
logits, as log-odds) and masks the *string* with ``shap.maskers.Text`` (masked tokens → mask token,
the text is re-tokenized for every evaluation). TeacherForcing only runs HuggingFace models, so the
closest honest version for our pointer-generator is a thin adapter:

* ``WordTokenizer``: the HF-tokenizer subset shap calls (``__call__`` with offsets/padding, ``decode``,
  ``mask_token``/``pad_token``), over attnviz's word tokenizer (``split_words``); the mask token ``<pad>``
  becomes PAD_ID, and a PAD_ID position is given presence 0, so a masked token is absent exactly as in
  the scorer's ``score_keep``.
* ``PointerGeneratorTeacherForcing``: ``shap.models.TeacherForcing`` with only
  ``get_teacher_forced_logits`` replaced (the part that calls ``model(**inputs, decoder_input_ids=...)``
  on an HF model): it returns our model's teacher-forced log-distribution over the extended vocabulary
  [N, T, V+oov] as float64, like ``outputs.logits``, and counts the rows of every call. shap's own
  batching (128), softmax and log-odds (``get_logodds``) and its masker are kept.

Both sides explain the same source tokens and the same generated summary with max_evals=500, in one
process, alternating, median of ``--runs`` runs after one warm-up each (numba compiles shap's helpers
on first use).
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import shap  # noqa: E402
import torch  # noqa: E402

from attnviz.examples import long_text  # noqa: E402
from attnviz.explain import METHODS  # noqa: E402
from attnviz.explain.partition import SHAP_BATCH_SIZE  # noqa: E402
from attnviz.models.base import DecodingSettings  # noqa: E402
from attnviz.models.pointer.summarizer import PointerSummarizer  # noqa: E402
from attnviz.models.pointer.vocabulary import BOS_ID, EOS, PAD, PAD_ID, UNK_ID, EncodedSource, Vocabulary
from attnviz.types import Generation  # noqa: E402
from attnviz.words import normalise_text, split_words

_MASK = re.compile(f"({re.escape(PAD)})")


def word_spans(text: str) -> list[tuple[str, tuple[int, int]]]:
    """Each word of normalised ``text`` as ``split_words`` reads it, and each ``<pad>``, with its
    (start, end) in ``text``. The words are found in order: the tokenizer skips only whitespace."""
    spans, offset = [], 0
    for piece in _MASK.split(text):
        if piece == PAD:
            spans.append((PAD, (offset, offset + len(PAD))))
        else:
            end = 0
            for word in split_words(piece):
                start = piece.index(word, end)
                end = start + len(word)
                spans.append((word, (offset + start, offset + end)))
        offset += len(piece)
    return spans


class WordTokenizer:
    """attnviz's word tokenizer behind the HF call interface shap's Text masker and TeacherForcing use.

    Ids are extended ids of one source (its OOV words keep their copyable ids); ``<pad>`` → PAD_ID.
    """

    mask_token, mask_token_id = PAD, PAD_ID
    pad_token, pad_token_id = PAD, PAD_ID
    eos_token = EOS

    def __init__(self, vocab: Vocabulary, source: EncodedSource) -> None:
        self.vocab, self.source = vocab, source
        self.padding_side = "right"

    def _ids(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        if normalise_text(text) != text:
            raise ValueError("the adapter needs normalised text (offsets must index the given string)")
        ids, spans = [], []
        for word, span in word_spans(text):
            if word == PAD:
                ids.append(PAD_ID)
            else:
                i = self.vocab.id_of(word)
                if i == UNK_ID and word.lower() in self.source.oovs:         # <unk> → the copyable extended id
                    i = len(self.vocab) + self.source.oovs.index(word.lower())
                ids.append(i)
            spans.append(span)
        return ids, spans

    def __call__(self, text: str | list[str], return_offsets_mapping: bool = False, padding: bool = False,
                 return_tensors: str | None = None) -> dict[str, Any]:
        if isinstance(text, str):
            ids, spans = self._ids(text)
            return {"input_ids": ids, "offset_mapping": spans} if return_offsets_mapping else {"input_ids": ids}
        rows = [self._ids(t)[0] for t in text]
        width = max(map(len, rows)) if padding else None
        if width is not None:
            rows = [r + [PAD_ID] * (width - len(r)) for r in rows]
        return {"input_ids": rows}

    def decode(self, ids: list[int]) -> str:
        return " ".join(PAD if i == PAD_ID else self.vocab.token_of(int(i), self.source) for i in ids)


class PointerGeneratorTeacherForcing(shap.models.TeacherForcing):
    """shap's TeacherForcing with the HF model call replaced by our model's teacher forcing; ``calls``
    holds the rows of every call, ``lengths`` the token counts of the masked strings."""

    def __init__(self, summarizer: PointerSummarizer, tokenizer: WordTokenizer, **kwargs: Any) -> None:
        self.summarizer = summarizer
        super().__init__(self._no_generation, tokenizer=tokenizer, similarity_tokenizer=tokenizer, **kwargs)
        self.lengths: set[int] = set()
        self.calls: list[int] = []

    @staticmethod
    def _no_generation(x: np.ndarray) -> np.ndarray:
        raise RuntimeError("pass the summary ids as the target: explainer([text], [summary_ids])")

    @torch.no_grad()
    def get_teacher_forced_logits(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """X [n] masked strings, Y [n, T] target ids → log P over the extended vocabulary [n, T, V+oov] float64."""
        self.calls.append(len(X))
        model = self.summarizer.model
        rows = self.similarity_tokenizer(X.tolist())["input_ids"]
        self.lengths.update(len(r) for r in rows)                            # re-tokenization check: all S?
        longest = max(map(len, rows))
        ext = torch.tensor([r + [PAD_ID] * (longest - len(r)) for r in rows], device=model.device)
        ids = ext.masked_fill(ext >= model.config.vocab_size, UNK_ID)        # OOV → <unk> for the embedding
        mask = torch.ones_like(ext, dtype=torch.bool)
        presence = (ext != PAD_ID).float()                                   # a masked token is absent, as in ours
        targets = torch.as_tensor(np.asarray(self.get_outputs(Y), dtype=np.int64), device=model.device)
        width = model.config.vocab_size + len(self.similarity_tokenizer.source.oovs)
        enc, state = model.encode(ids, ext, mask, presence)
        prev = torch.full_like(targets[:, 0], BOS_ID)
        steps = []
        for t in range(targets.shape[1]):
            out = model.step(prev, state, enc)
            logp = out.log_probs
            if logp.shape[1] < width:                                       # this batch lost some OOV words
                unk = logp[:, UNK_ID:UNK_ID + 1].expand(-1, width - logp.shape[1])  # absent OOV: via <unk>
                logp = torch.cat([logp, unk], 1)
            steps.append(logp)
            state, prev = out.state, targets[:, t]
        return torch.stack(steps, dim=1).cpu().numpy().astype("float64")


def shap_route(summarizer: PointerSummarizer, text: str, generation: Generation, source: EncodedSource, *,
               max_evals: int, batch_size: int | str = "auto") -> tuple[np.ndarray, dict[str, Any]]:
    """shap.Explainer(TeacherForcing model, Text masker) as in shap's summarization example → values [T, S]."""
    tokenizer = WordTokenizer(summarizer.vocab, source)
    model = PointerGeneratorTeacherForcing(summarizer, tokenizer)
    masker = shap.maskers.Text(tokenizer)
    explainer = shap.Explainer(model, masker, algorithm="partition")
    np.random.seed(0)
    explanation = explainer([text], [generation.summary_ids], max_evals=max_evals, batch_size=batch_size, silent=True)
    values = np.asarray(explanation.values[0], dtype=np.float64).T                   # (T, S)
    return values, {"calls": len(model.calls), "evaluations": sum(model.calls), "max_rows": max(model.calls),
                    "lengths": sorted(model.lengths), "masker": type(explainer.masker).__name__}


def raw_teacher_forcing_error(summarizer: PointerSummarizer, text: str, generation: Generation, source: EncodedSource) -> str:
    """What shap's TeacherForcing does with our model as it is (no adapter for the model call)."""
    tokenizer = WordTokenizer(summarizer.vocab, source)
    try:
        model = shap.models.TeacherForcing(lambda x: np.array([generation.summary_ids]), tokenizer,
                                           similarity_model=summarizer.model, similarity_tokenizer=tokenizer)
        explainer = shap.Explainer(model, shap.maskers.Text(tokenizer), algorithm="partition")
        explainer([text], [generation.summary_ids], max_evals=10, silent=True)
    except Exception as exc:  # noqa: BLE001 - reported verbatim
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        return f"{type(exc).__name__}: {exc} (at {Path(frame.filename).name}:{frame.lineno})"
    return "no error"


def cut_text(text: str, tokens: int) -> str:
    """The normalised text up to the end of its ``tokens``-th token."""
    text = normalise_text(text)
    ends = [end for _, (_, end) in word_spans(text)]
    return text[: ends[min(tokens, len(ends)) - 1]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=400)
    parser.add_argument("--max-evals", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--summary-tokens", type=int, default=0,
                        help="force the summary to this many tokens (0: the default decoding settings)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    summarizer = PointerSummarizer.from_checkpoint(device="cpu")
    raw, origin = long_text(args.tokens)
    text = cut_text(raw, min(args.tokens, summarizer.model.config.max_source_tokens))
    n = args.summary_tokens
    generation = summarizer.summarize(text, DecodingSettings(min_len=n, max_len=n) if n else None)
    source = summarizer.encode(text)
    scorer = summarizer.scorer(generation)
    s, t = len(generation.source_tokens), len(generation.summary_tokens)
    print(f"model {summarizer.name} on cpu ({torch.get_num_threads()} threads), shap {shap.__version__}, "
          f"{s} source tokens from {origin}, summary of {t} tokens: {generation.summary!r}")
    print(f"max_evals {args.max_evals}, median of {args.runs} runs each after one warm-up, sides alternating")
    print("shap TeacherForcing with our model and no adapter:",
          raw_teacher_forcing_error(summarizer, text, generation, source))

    # the adapter reads the text as the PointerSummarizer did, and its teacher forcing gives our log-probs
    tokenizer = WordTokenizer(summarizer.vocab, source)
    if tokenizer(text)["input_ids"] != list(generation.source_ext_ids):
        raise SystemExit("the adapter tokenizer does not reproduce the source ids")
    adapter = PointerGeneratorTeacherForcing(summarizer, tokenizer)
    logp = adapter.get_teacher_forced_logits(np.array([text]), generation.summary_ids[None])[0]
    full = scorer.score_keep(torch.ones(1, s))[0].numpy()
    gap = np.abs(logp[np.arange(t), generation.summary_ids] - full).max()
    print(f"adapter check: same source ids; max |log p adapter - log p PointerScorer| = {gap:.1e}")

    ours_batch = SHAP_BATCH_SIZE
    sides = {
        "ours: partition_shap (PointerScorer, keep masks)":
            lambda: METHODS["partition_shap"](scorer, max_evals=args.max_evals, seed=0),
        "shap route: TeacherForcing + Text masker, batch_size auto":
            lambda: shap_route(summarizer, text, generation, source, max_evals=args.max_evals),
        f"shap route, batch_size={ours_batch} (as ours)":
            lambda: shap_route(summarizer, text, generation, source, max_evals=args.max_evals, batch_size=ours_batch),
    }
    times: dict[str, list[float]] = {name: [] for name in sides}
    results: dict[str, Any] = {}
    for run in range(args.runs + 1):                                   # run 0 = warm-up
        for name, fn in sides.items():
            start = time.perf_counter()
            results[name] = fn()
            if run:
                times[name].append(time.perf_counter() - start)

    ours = results[next(iter(sides))]
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    base = medians[next(iter(sides))]
    print(f"\n{'side':58s} {'median s':>9s} {'runs s':>22s} {'evals':>6s} {'calls':>6s} {'rows/call':>9s} {'× ours':>7s}")
    for name in sides:
        if name == next(iter(sides)):
            evals, calls = ours.checks["evaluations"], "-"
            rows = f"≤{ours_batch}"
        else:
            info = results[name][1]
            evals, calls, rows = info["evaluations"], info["calls"], f"≤{info['max_rows']}"
        runs = " ".join(f"{x:.2f}" for x in times[name])
        print(f"{name:58s} {medians[name]:9.2f} {runs:>22s} {evals:6d} {calls!s:>6s} {rows:>9s} {medians[name] / base:7.2f}")
    route = next(n for n in sides if n.startswith("shap route: "))
    print(f"\nratio shap route / ours (median, shap defaults): {medians[route] / base:.2f}")
    info = results[route][1]
    print(f"shap route: masker {info['masker']}; the masked strings re-tokenize to {info['lengths']} tokens (S = {s})")
    print(f"ours: forward passes {ours.forward_passes}")
    for name in list(sides)[1:]:
        theirs = results[name][0]
        r = [np.corrcoef(ours.scores[i], theirs[i])[0, 1] for i in range(t)]
        print(f"Pearson r per summary token, ours (log p) vs {name.split(':')[0]} (log-odds): "
              + " ".join(f"{x:.3f}" for x in r))


if __name__ == "__main__":
    main()

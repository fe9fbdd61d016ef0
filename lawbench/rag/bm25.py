"""Lexical retrieval: BM25 (the ``bm25s`` library) over jieba words.

Chinese has no spaces, so texts are cut with jieba (the segmenter the text metrics use); punctuation
and whitespace pieces are dropped. No weights are needed, so this retriever always exists.

Example:
    >>> tokens("被告人容留他人吸食毒品。")
    ['被告人', '容留', '他人', '吸食毒品']
"""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path

import numpy as np

_WORD = re.compile(r"\w", re.UNICODE)  # a piece with at least one letter, digit or CJK character


@cache
def _segmenter():
    import jieba

    jieba.setLogLevel(logging.WARNING)  # its dictionary-loading banner is noise
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return jieba


def tokens(text: str) -> list[str]:
    """jieba words of ``text`` without punctuation or whitespace pieces."""
    return [piece for piece in _segmenter().lcut(text) if _WORD.search(piece)]


def build(texts: list[str], folder: Path) -> None:
    """Index ``texts`` (in order: a document's number is its chunk number) and save under ``folder``."""
    import bm25s

    _segmenter()
    retriever = bm25s.BM25()
    retriever.index([tokens(t) or [""] for t in texts], show_progress=False)
    retriever.save(str(folder), show_progress=False)


class BM25Searcher:
    """A saved BM25 index, loaded once; :meth:`search` ranks chunk numbers for a batch of queries."""

    def __init__(self, folder: Path):
        import bm25s

        self.retriever = bm25s.BM25.load(str(folder), show_progress=False)
        self.size = int(self.retriever.scores["num_docs"])

    def search(self, queries: list[str], k: int) -> list[list[tuple[int, float]]]:
        """Top ``k`` (chunk number, BM25 score) per query, best first; chunks scoring 0 are left out."""
        k = min(k, self.size)
        words = [tokens(q) for q in queries]
        vocab = self.retriever.vocab_dict
        # bm25s refuses a query none of whose words it knows: score those as "nothing found".
        known = [i for i, w in enumerate(words) if any(t in vocab for t in w)]
        found: list[list[tuple[int, float]]] = [[] for _ in queries]
        if not known:
            return found
        docs, scores = self.retriever.retrieve([[t for t in words[i] if t in vocab] for i in known], k=k,
                                               show_progress=False, n_threads=0)
        for row, i in enumerate(known):
            found[i] = [(int(d), float(s)) for d, s in zip(np.asarray(docs[row]), np.asarray(scores[row])) if s > 0]
        return found

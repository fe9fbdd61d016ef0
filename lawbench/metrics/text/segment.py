"""Word segmentation with jieba, done once per text and shared by every token-based metric."""

from __future__ import annotations

from dataclasses import dataclass

import jieba


@dataclass(frozen=True)
class Segmented:
    """A text and its jieba segmentation.

    ``tokens`` are the words without whitespace pieces (BLEU-n and METEOR count words, not spaces).
    ``rouge_input`` is every jieba piece, whitespace included, joined by single spaces: exactly the
    string LawBench's scorer hands to rouge-chinese, whose sentence splitter then still sees the
    original line breaks.
    """

    text: str
    tokens: tuple[str, ...]
    rouge_input: str

    @property
    def empty(self) -> bool:
        """True for an empty or whitespace-only text (nothing to match)."""
        return not self.tokens


def segment(text: str) -> Segmented:
    """Segment ``text`` with jieba's default (accurate, HMM) mode: one ``jieba.lcut`` call.

    >>> segment("被告人犯盗窃罪。").tokens
    ('被告人', '犯', '盗窃罪', '。')
    >>> segment(" \\n ").empty
    True
    """
    if not isinstance(text, str):
        raise TypeError(f"expected a string to segment, got {type(text).__name__}")
    pieces = jieba.lcut(text)
    return Segmented(text, tuple(p for p in pieces if not p.isspace()), " ".join(pieces))

"""ChERRANT's character-level substitution cost: meaning (Cilin), punctuation class and spelling.

``cost(a, b) = semantic + spelling + punctuation`` (summed in that order: alignment ties are decided
by exact float equality, so the arithmetic must be the same as ChERRANT's):

* semantic: 0 when the two tokens share a Cilin class, ``2 * (3 - shared levels) / 6`` when both are in
  Cilin with different classes, ``4 / 6`` when either is missing;
* spelling: 0.5 unless both tokens are all CJK (U+4E00–U+9FFF); then 0 when they share a pinyin
  reading (pypinyin, heteronyms) or one is in the other's confusion set, else 0.5;
* punctuation: 0 when both are punctuation, 0.25 when neither is, 0.499 when one is.

A deletion or an insertion costs 1, so a substitution (at most 4/6 + 0.5 + 0.499) is always cheaper
than both together.

>>> from lawbench.metrics.cherrant.resources import CherrantTables
>>> costs = SubstitutionCosts(CherrantTables({"士": "Aa01A01=", "人": "Aa01A01="}, {}))
>>> costs.cost("人", "士"), costs.cost("，", "、"), costs.cost("，", "。")  # 。 is not in its list
(0.75, 1.1666666666666665, 1.6656666666666666)
"""

from __future__ import annotations

from functools import lru_cache
from string import punctuation

import numpy as np

from lawbench.metrics.cherrant.resources import CherrantTables

# ChERRANT's alignment punctuation (its Chinese list, then ASCII's); membership is tested per token.
ALIGN_PUNCT = ("！？｡＂＃＄％＆＇（）＊＋，－／：；＜＝＞＠［＼］＾＿｀｛｜｝～"
               "｟｠｢｣､、〃》「」『』【】〔〕〖〗〘〙〚〛〜〝〞〟〰〾〿–—‘'‛“”„‟…‧﹏") + punctuation


def all_cjk(token: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in token)


@lru_cache(maxsize=65536)
def readings(token: str) -> frozenset[str]:
    """The toneless pinyin readings of a token's first character (pypinyin, heteronyms on)."""
    from pypinyin import Style, pinyin

    return frozenset(pinyin(token, style=Style.NORMAL, heteronym=True)[0])


class SubstitutionCosts:
    """Substitution costs between tokens: :meth:`cost` for one pair, :meth:`matrix` for two sentences
    (vectorised over per-character features that are computed once per character)."""

    def __init__(self, tables: CherrantTables):
        self.tables = tables
        self._cache: dict[tuple[str, str], float] = {}
        self._ids: dict[str, int] = {}
        self._levels: dict[str, int] = {}  # Cilin class level strings → small ints
        self._rows: list[tuple[int, int, int, bool, bool, bool, bool]] = []
        self._readings: list[tuple[int, ...]] = []  # per token: its readings' numbers
        self._reading_ids: dict[str, int] = {}
        self._table: np.ndarray | None = None

    def _semantic(self, a: str, b: str) -> float:
        code_a, code_b = self.tables.semantic.get(a), self.tables.semantic.get(b)
        if code_a is None or code_b is None:
            return 4 / 6.0
        class_a = (code_a[0], code_a[1], code_a[2:4])
        class_b = (code_b[0], code_b[1], code_b[2:4])
        if class_a == class_b:
            return 0 / 6.0
        shared = sum(x == y for x, y in zip(class_a, class_b))
        return 2 * (3 - shared) / 6.0

    def _spelling(self, a: str, b: str) -> float:
        if not (all_cjk(a) and all_cjk(b)):
            return 0.5
        if len(a) > len(b):
            a, b = b, a
        if a == b:
            return 0
        same_sound = bool(readings(a) & readings(b))
        confusion = self.tables.confusion
        count = 0
        for ch_a in a:
            for ch_b in b:
                if (ch_a == ch_b or same_sound or ch_a in confusion.get(ch_b, ())
                        or ch_b in confusion.get(ch_a, ())):
                    count += 1
                    break
        return (len(a) - count) / (len(a) * 2)

    def cost(self, a: str, b: str) -> float:
        """The cost of substituting token ``b`` for token ``a`` (0 when equal)."""
        if a == b:
            return 0
        key = (a, b)
        found = self._cache.get(key)
        if found is None:
            a_punct, b_punct = a in ALIGN_PUNCT, b in ALIGN_PUNCT
            punct = 0.0 if a_punct and b_punct else 0.25 if not a_punct and not b_punct else 0.499
            found = self._cache[key] = self._semantic(a, b) + self._spelling(a, b) + punct
        return found

    # -- the vectorised path ------------------------------------------------------------------
    def _level(self, text: str) -> int:
        return self._levels.setdefault(text, len(self._levels))

    def _id(self, token: str) -> int:
        """The token's row in the feature table (added on first sight)."""
        found = self._ids.get(token)
        if found is None:
            code = self.tables.semantic.get(token)
            levels = (self._level(code[0]), self._level(code[1]), self._level(code[2:4])) if code else (-1, -1, -1)
            cjk = all_cjk(token)
            self._rows.append((*levels, code is None, cjk, token in ALIGN_PUNCT, len(token) > 1))
            numbers = self._reading_ids.setdefault
            self._readings.append(tuple(numbers(r, len(self._reading_ids))
                                        for r in (readings(token) if cjk and token else ())))
            found = self._ids[token] = len(self._ids)
            self._table = None
        return found

    def _features(self) -> np.ndarray:
        if self._table is None:
            self._table = np.array(self._rows, dtype=np.int64).reshape(-1, 7)
        return self._table

    def _confusable(self, src_types: np.ndarray, tgt_types: np.ndarray) -> np.ndarray:
        """Whether either token is in the other's confusion set (set intersections, not pair loops)."""
        confusion, nothing = self.tables.confusion, frozenset()
        src_index = {token: x for x, token in enumerate(src_types)}
        tgt_index = {token: y for y, token in enumerate(tgt_types)}
        rows, cols = [], []
        for x, token in enumerate(src_types):
            for other in confusion.get(token, nothing).intersection(tgt_index):
                rows.append(x)
                cols.append(tgt_index[other])
        for y, token in enumerate(tgt_types):
            for other in confusion.get(token, nothing).intersection(src_index):
                rows.append(src_index[other])
                cols.append(y)
        out = np.zeros((len(src_types), len(tgt_types)), dtype=bool)
        out[rows, cols] = True
        return out

    def matrix(self, src: list[str], tgt: list[str]) -> np.ndarray:
        """``len(src) × len(tgt)`` costs (0 where the tokens are equal); multi-character tokens
        (``[缺失成分]``) take :meth:`cost`."""
        src_types, src_codes = np.unique(np.array(src, dtype=object), return_inverse=True)
        tgt_types, tgt_codes = np.unique(np.array(tgt, dtype=object), return_inverse=True)
        a_ids = np.array([self._id(t) for t in src_types], dtype=np.int64)
        b_ids = np.array([self._id(t) for t in tgt_types], dtype=np.int64)
        features = self._features()
        a, b = features[a_ids], features[b_ids]
        shared = sum((a[:, level, None] == b[None, :, level]).astype(np.int64) for level in range(3))
        unknown = (a[:, 3, None] | b[None, :, 3]).astype(bool)
        semantic = np.where(unknown, 4 / 6.0, 2 * (3 - shared) / 6.0)
        both_cjk = (a[:, 4, None] & b[None, :, 4]).astype(bool)
        similar = self._same_sound(a_ids, b_ids) | self._confusable(src_types, tgt_types)
        spelling = np.where(both_cjk & similar, 0.0, 0.5)
        a_punct, b_punct = a[:, 5, None].astype(bool), b[None, :, 5].astype(bool)
        punct = np.where(a_punct & b_punct, 0.0, np.where(~a_punct & ~b_punct, 0.25, 0.499))
        table = semantic + spelling + punct
        table[src_types[:, None] == tgt_types[None, :]] = 0
        for x, y in zip(*np.nonzero(a[:, 6, None] | b[None, :, 6])):  # rare: [缺失成分]
            table[x, y] = self.cost(src_types[x], tgt_types[y])
        return table[src_codes.reshape(-1)[:, None], tgt_codes.reshape(-1)[None, :]]

    def _same_sound(self, a_ids: np.ndarray, b_ids: np.ndarray) -> np.ndarray:
        """Whether two tokens share a pinyin reading (no matrix product: BLAS threads cost more here)."""
        columns: dict[int, list[int]] = {}
        for col, y in enumerate(b_ids):
            for reading in self._readings[y]:
                columns.setdefault(reading, []).append(col)
        rows, cols = [], []
        for row, x in enumerate(a_ids):
            for reading in self._readings[x]:
                found = columns.get(reading, ())
                rows.extend([row] * len(found))
                cols.extend(found)
        out = np.zeros((len(a_ids), len(b_ids)), dtype=bool)
        out[rows, cols] = True
        return out

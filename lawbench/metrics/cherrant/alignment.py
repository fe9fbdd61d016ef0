"""ChERRANT's alignment: a weighted edit distance with transpositions, keeping every cheapest path.

Cell ``(i+1, j+1)`` of the cost table is ``cost(i, j)`` when ``src[i] == tgt[j]`` (a match, ``M``);
otherwise the minimum of

* ``T``: a transposition ``src[i-k..i]`` ↔ ``tgt[j-k..j]`` (same characters in another order), for
  the smallest ``k ≥ 1`` reached before the diagonal meets a step whose cost does not change;
  cost ``cost(i-k, j-k) + k``;
* ``S``: ``cost(i, j) + substitution(src[i], tgt[j])`` (:mod:`~lawbench.metrics.cherrant.costs`);
* ``I`` / ``D``: the left / upper neighbour + 1;

and *every* operation reaching the minimum (exact float equality) is kept, in the order T, S, I, D.
ChERRANT then walks all cheapest paths (only the first operation of each cell when the lengths differ
by more than 10): :meth:`AlignmentTable.paths` does the same (tests compare against it), while
scoring enumerates whole runs instead (:mod:`~lawbench.metrics.cherrant.segments`).

ChERRANT fills the table in Python and, for each transposition candidate ``k``, sorts both windows
again; here the same loop is compiled with numba and the window comparison is a running count of
character differences, updated by one character per ``k`` (:mod:`~lawbench.metrics.cherrant._fill`).

>>> from lawbench.metrics.cherrant.costs import SubstitutionCosts
>>> from lawbench.metrics.cherrant.resources import CherrantTables
>>> table = align(list("所以印度对全世界"), list("所以全世界对印度"), SubstitutionCosts(CherrantTables({}, {})))
>>> float(table.cost[-1, -1]), table.count_paths()
(5.0, 1)
>>> [step for step in next(table.paths()) if step[0] != "M"]
[('T6', 2, 8, 2, 8)]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from lawbench.metrics.cherrant.costs import SubstitutionCosts

T, S, I, D, M = 1, 2, 4, 8, 16  # noqa: E741 (ChERRANT's op letters) bits; T < S < I < D: its order of alternatives
MAX_LENGTH_GAP_FOR_ALL = 10  # ChERRANT keeps only the first path beyond this length difference
Step = tuple[str, int, int, int, int]  # (op, src start, src end, tgt start, tgt end)


@dataclass
class AlignmentTable:
    """The filled tables of one sentence pair: ``ops`` (bits per cell) and ``block`` (``k + 1`` of a T)."""

    src: list[str]
    tgt: list[str]
    cost: np.ndarray
    ops: np.ndarray
    block: np.ndarray

    @property
    def all_paths(self) -> bool:
        return abs(len(self.src) - len(self.tgt)) <= MAX_LENGTH_GAP_FOR_ALL

    def _choices(self, i: int, j: int) -> list[tuple[str, int, int]]:
        """``(op name, previous i, previous j)`` of cell ``(i, j)`` in ChERRANT's order."""
        bits = int(self.ops[i, j])
        out = []
        if bits & M:
            out.append(("M", i - 1, j - 1))
        if bits & T:
            k = int(self.block[i, j])
            out.append((f"T{k}", i - k, j - k))
        if bits & S:
            out.append(("S", i - 1, j - 1))
        if bits & I:
            out.append(("I", i, j - 1))
        if bits & D:
            out.append(("D", i - 1, j))
        return out if self.all_paths else out[:1]

    def count_paths(self) -> int:
        """How many cheapest paths :meth:`paths` yields (a big integer where there are many)."""
        n, m = self.ops.shape
        counts = [[0] * m for _ in range(n)]
        counts[0][0] = 1
        for i in range(n):
            for j in range(m):
                if i or j:
                    counts[i][j] = sum(counts[pi][pj] for _, pi, pj in self._choices(i, j))
        return counts[n - 1][m - 1]

    def paths(self) -> Iterator[list[Step]]:
        """Every cheapest path from the start, as ChERRANT's depth-first search finds them."""
        stack = [(len(self.src), len(self.tgt), ())]
        while stack:
            i, j, tail = stack.pop()
            if i + j == 0:
                yield _unwind(tail)
                continue
            for name, pi, pj in reversed(self._choices(i, j)):
                stack.append((pi, pj, ((name, pi, i, pj, j), tail)))


def _unwind(linked: tuple) -> list[Step]:
    out = []
    while linked:
        step, linked = linked
        out.append(step)
    return out


def align(src: list[str], tgt: list[str], costs: SubstitutionCosts) -> AlignmentTable:
    """Fill ChERRANT's cost and operation tables for tokens ``src`` → ``tgt``."""
    n, m = len(src), len(tgt)
    cost = np.zeros((n + 1, m + 1))
    ops = np.zeros((n + 1, m + 1), dtype=np.uint8)
    block = np.zeros((n + 1, m + 1), dtype=np.int64)
    if n and m:
        types = {token: index for index, token in enumerate(dict.fromkeys(src + tgt))}
        src_codes = np.array([types[t] for t in src], dtype=np.int64)
        tgt_codes = np.array([types[t] for t in tgt], dtype=np.int64)
        from lawbench.metrics.cherrant._fill import fill  # numba: compiled on first use

        fill(costs.matrix(src, tgt), src_codes, tgt_codes, len(types), cost, ops, block)
    else:
        cost[:, 0], cost[0, :] = np.arange(n + 1), np.arange(m + 1)
        ops[1:, 0], ops[0, 1:] = D, I
    return AlignmentTable(src, tgt, cost, ops, block)



"""Every distinct grouped alignment of a sentence pair, without walking every cheapest path.

ChERRANT enumerates all cheapest paths (there can be 10^12 of them for a long rambling output;
ChERRANT's 10-second timeout exists for that reason) and merges each. But a path's merged edits only
depend on where its runs start and end (:mod:`~lawbench.metrics.cherrant.merge`, step 1):

* a run of matches is forced: a cell whose characters are equal can only be entered by a match;
* a transposition is one step;
* a run of D / I / S steps from cell ``b`` to cell ``c`` merges into one edit that only depends on ``b``
  and ``c`` — a deletion when the target does not advance, an insertion when the source does not,
  else a substitution. (Its inner order does not matter: a run of only deletions and insertions
  cannot occur on a cheapest path, since a deletion next to an insertion costs 2 and the
  substitution in their place at most 4/6 + 0.5 + 0.499.)

So the distinct grouped edit lists are the paths of a much smaller graph whose nodes are ``(cell, how
the cell is entered)`` and whose edges are whole runs; a test checks the result equals merging every
path on random pairs.

>>> from lawbench.metrics.cherrant.alignment import align
>>> from lawbench.metrics.cherrant.costs import SubstitutionCosts
>>> from lawbench.metrics.cherrant.resources import CherrantTables
>>> table = align(list("甲乙丙丁"), list("子丑寅卯"), SubstitutionCosts(CherrantTables({}, {})))
>>> table.count_paths(), list(grouped_edits(table))
(1, [[('S', 0, 4, 0, 4)]])
"""

from __future__ import annotations

from collections.abc import Iterator

from lawbench.metrics.cherrant.alignment import AlignmentTable, D, I, M, S, Step, T

X = S | I | D  # the steps that merge into one run
Cell = tuple[int, int]


class _Runs:
    """The run edges of one table (cached per cell)."""

    def __init__(self, table: AlignmentTable):
        self.ops, self.block = table.ops, table.block
        self._stops: dict[Cell, list[Cell]] = {}

    def bits(self, cell: Cell) -> int:
        return int(self.ops[cell])

    def entries(self, cell: Cell, after: str | None) -> list[str]:
        """How ``cell`` may be entered, given that the run after it is of kind ``after``."""
        bits = self.bits(cell)
        kinds = [kind for kind, mask in (("M", M), ("T", T), ("X", X)) if bits & mask]
        return [kind for kind in kinds if kind == "T" or kind != after]  # runs are maximal

    def x_starts(self, cell: Cell) -> list[Cell]:
        """Where a D / I / S run ending at ``cell`` can start: the origin or a cell entered otherwise."""
        found = self._stops.get(cell)
        if found is None:
            seen, starts, todo = {cell}, [], [cell]
            while todo:
                i, j = todo.pop()
                bits = self.bits((i, j))
                for mask, before in ((S, (i - 1, j - 1)), (I, (i, j - 1)), (D, (i - 1, j))):
                    if not bits & mask or before in seen:
                        continue
                    seen.add(before)
                    before_bits = self.bits(before) if before != (0, 0) else 0
                    if before == (0, 0) or before_bits & (M | T):
                        starts.append(before)
                    if before != (0, 0) and before_bits & X:
                        todo.append(before)
            found = self._stops[cell] = sorted(starts)
        return found

    def run(self, cell: Cell, kind: str) -> Iterator[tuple[Step, Cell]]:
        """The run edits entering ``cell`` by ``kind``, each with the cell the run starts from."""
        i, j = cell
        if kind == "M":
            start_i, start_j = i, j
            while start_i and start_j and self.bits((start_i, start_j)) & M:
                start_i, start_j = start_i - 1, start_j - 1
            yield ("M", start_i, i, start_j, j), (start_i, start_j)
        elif kind == "T":
            k = int(self.block[i, j])
            yield (f"T{k}", i - k, i, j - k, j), (i - k, j - k)
        else:
            for start_i, start_j in self.x_starts(cell):
                op = "D" if start_j == j else "I" if start_i == i else "S"
                yield (op, start_i, i, start_j, j), (start_i, start_j)


def grouped_edits(table: AlignmentTable) -> Iterator[list[Step]]:
    """Each distinct step-1 edit list of the table's cheapest paths (ChERRANT's
    :func:`~lawbench.metrics.cherrant.merge.group_steps` of every path, without repeats)."""
    runs = _Runs(table)
    end = (len(table.src), len(table.tgt))
    if end == (0, 0):
        yield []
        return
    stack: list[tuple[Cell, str, tuple]] = [(end, kind, ()) for kind in runs.entries(end, None)]
    while stack:
        cell, kind, tail = stack.pop()
        for edit, start in runs.run(cell, kind):
            linked = (edit, tail)
            if start == (0, 0):
                out = []
                while linked:
                    step, linked = linked
                    out.append(step)
                yield out
                continue
            for before in runs.entries(start, kind):
                stack.append((start, before, linked))

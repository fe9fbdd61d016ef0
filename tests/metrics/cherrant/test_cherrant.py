"""lawbench's ChERRANT: costs, the compiled alignment against a plain transcription of ChERRANT's
loop, merge patterns, annotation and the F0.5 comparison. Tables here are small hand-written ones."""

from __future__ import annotations

import random

import numpy as np
import pytest

from lawbench.errors import DataError
from lawbench.metrics.cherrant import SubstitutionCosts, annotate, compare_sentence, f_score
from lawbench.metrics.cherrant.alignment import D, I, M, S, T, align
from lawbench.metrics.cherrant.merge import group_steps, merge
from lawbench.metrics.cherrant.resources import CherrantTables, load_tables
from lawbench.metrics.cherrant.segments import grouped_edits

TABLES = CherrantTables(
    semantic={"证": "Dk01A01=", "据": "Dk01A01=", "事": "Da01A02=", "实": "Db02B03#", "合": "Ka01A01="},
    confusion={"诉": frozenset({"述", "素"}), "施": frozenset({"事"})},
)
ALPHABET = list("上诉述证据事实施合法，。a")


def reference_tables(src: list[str], tgt: list[str], costs: SubstitutionCosts):
    """ChERRANT's cell loop as written there (sorted windows for every k): the test oracle."""
    n, m = len(src), len(tgt)
    cost = np.zeros((n + 1, m + 1))
    ops = [[[] for _ in range(m + 1)] for _ in range(n + 1)]
    for i in range(1, n + 1):
        cost[i][0], ops[i][0] = cost[i - 1][0] + 1, ["D"]
    for j in range(1, m + 1):
        cost[0][j], ops[0][j] = cost[0][j - 1] + 1, ["I"]
    for i in range(n):
        for j in range(m):
            if src[i] == tgt[j]:
                cost[i + 1][j + 1], ops[i + 1][j + 1] = cost[i][j], ["M"]
                continue
            trans, k = float("inf"), 1
            while i - k >= 0 and j - k >= 0 and cost[i - k + 1][j - k + 1] != cost[i - k][j - k]:
                if sorted(src[i - k: i + 1]) == sorted(tgt[j - k: j + 1]):
                    trans = cost[i - k][j - k] + k
                    break
                k += 1
            options = [trans, cost[i][j] + costs.cost(src[i], tgt[j]), cost[i + 1][j] + 1, cost[i][j + 1] + 1]
            cost[i + 1][j + 1] = min(options)
            names = [f"T{k + 1}", "S", "I", "D"]
            ops[i + 1][j + 1] = [name for name, value in zip(names, options) if value == min(options)]
    return cost, ops


def names_of(table, i: int, j: int) -> list[str]:
    bits = int(table.ops[i, j])
    names = [("M", M), (f"T{int(table.block[i, j])}", T), ("S", S), ("I", I), ("D", D)]
    return [name for name, bit in names if bits & bit]


def test_costs_follow_cherrant():
    costs = SubstitutionCosts(TABLES)
    assert costs.cost("证", "据") == 0.0 + 0.5 + 0.25  # same Cilin class, no shared reading
    assert costs.cost("诉", "述") == 4 / 6.0 + 0.0 + 0.25  # confusion set (and the same reading)
    assert costs.cost("事", "实") == 2 * (3 - 1) / 6.0 + 0.0 + 0.25  # shi/shi: same reading
    assert costs.cost("，", ".") == 4 / 6.0 + 0.5 + 0.0  # both punctuation
    assert costs.cost("，", "。") == 4 / 6.0 + 0.5 + 0.499  # 。 is missing from ChERRANT's list
    src, tgt = list("上诉证据，a"), list("上述事实。合")
    matrix = costs.matrix(src, tgt)
    assert [[matrix[x, y] for y in range(len(tgt))] for x in range(len(src))] == \
        [[costs.cost(a, b) for b in tgt] for a in src]


def test_compiled_alignment_equals_cherrant_loop_on_random_pairs():
    costs, rng = SubstitutionCosts(TABLES), random.Random(7)
    for _ in range(60):
        src = rng.choices(ALPHABET[:6], k=rng.randint(1, 12))
        tgt = src[:]
        for _ in range(rng.randint(1, 4)):  # swaps, substitutions, insertions, deletions
            where = rng.randrange(len(tgt))
            roll = rng.random()
            if roll < 0.3 and len(tgt) > 1:
                other = rng.randrange(len(tgt))
                tgt[where], tgt[other] = tgt[other], tgt[where]
            elif roll < 0.6:
                tgt[where] = rng.choice(ALPHABET)
            elif roll < 0.8:
                tgt.insert(where, rng.choice(ALPHABET))
            elif len(tgt) > 1:
                del tgt[where]
        table = align(src, tgt, costs)
        cost, ops = reference_tables(src, tgt, costs)
        assert table.cost.tolist() == cost.tolist(), (src, tgt)
        for i in range(1, len(src) + 1):
            for j in range(1, len(tgt) + 1):
                assert names_of(table, i, j) == ops[i][j], (src, tgt, i, j)
        assert table.count_paths() == sum(1 for _ in table.paths())


def test_run_level_enumeration_equals_grouping_every_path():
    """The distinct grouped edit lists come out the same as from walking every path, once each."""
    costs, rng = SubstitutionCosts(TABLES), random.Random(3)
    checked = 0
    while checked < 400:
        src = rng.choices(ALPHABET, k=rng.randint(1, 9))
        tgt = rng.choices(ALPHABET, k=rng.randint(1, 9))
        if rng.random() < 0.5:  # near copies: transpositions and long match runs
            kept = rng.sample(src, len(src))[: rng.randint(1, len(src))]
            tgt = kept + rng.choices(ALPHABET[:3], k=rng.randint(0, 2))
        table = align(src, tgt, costs)
        fast = [tuple(edits) for edits in grouped_edits(table)]
        assert len(fast) == len(set(fast))
        assert set(fast) == {tuple(group_steps(path)) for path in table.paths()}, (src, tgt)
        checked += 1


def test_only_the_first_path_beyond_ten_characters_of_length_difference():
    costs = SubstitutionCosts(TABLES)
    short, long = list("证据合法"), list("证据据据据据据据据据据据据据据合法")
    assert align(short, long, costs).count_paths() == 1
    assert align(short, long[:13], costs).count_paths() > 1


def test_merge_patterns():
    # D M I moving one character: one word-order edit
    assert merge([("D", 0, 1, 0, 0), ("M", 1, 2, 0, 1), ("I", 2, 2, 1, 2)], list("旅去"), list("去旅")) == \
        [("T2", 0, 2, 0, 2)]
    # ... but not when the moved text is punctuation
    assert merge([("D", 0, 1, 0, 0), ("M", 1, 2, 0, 1), ("I", 2, 2, 1, 2)], list("，去"), list("去，")) == \
        [("D", 0, 1, 0, 0), ("I", 2, 2, 1, 2)]
    # a run of substitutions merges; a run mixing D and I stays split
    assert merge([("S", 0, 1, 0, 1), ("S", 1, 2, 1, 2)], list("ab"), list("cd")) == [("S", 0, 2, 0, 2)]
    assert merge([("D", 0, 1, 0, 0), ("I", 1, 1, 0, 1)], list("a"), list("b")) == \
        [("D", 0, 1, 0, 0), ("I", 1, 1, 0, 1)]
    # a mixed run whose target starts with the source is trimmed to an insertion
    assert merge([("S", 0, 1, 0, 1), ("I", 1, 1, 1, 2)], list("a"), list("ab")) == [("I", 1, 1, 1, 2)]


def test_annotation_kinds_and_pooling():
    costs = SubstitutionCosts(TABLES)
    assert annotate("上诉证据", "上述证据", costs) == {(1, 2, "述"): ["S"]}
    assert annotate("证据合法", "证据合", costs) == {(3, 4, "-NONE-"): ["R"]}
    assert annotate("证据", "证据合法", costs) == {(2, 2, "合法"): ["M"]}
    assert annotate("证据", "无法标注", costs) == {(-1, -1, "-NONE-"): ["NA"]}
    # two cheapest alignments with different edits: both are kept under one annotator
    assert annotate("证证据", "证，", costs) == {(0, 1, "-NONE-"): ["R"], (2, 3, "，"): ["S"], (1, 3, "，"): ["S"]}


def test_compare_counts_and_rounding():
    gold = {(1, 2, "述"): ["S"], (5, 6, "事"): ["S"]}
    assert compare_sentence({(1, 2, "述"): ["S", "S"], (3, 3, "的"): ["M"]}, gold) == (1, 1, 1)
    assert compare_sentence({(-1, -1, "-NONE-"): ["noop"]}, gold) == (0, 0, 2)
    assert compare_sentence({(0, 1, "x"): ["S"]}, {(-1, -1, "-NONE-"): ["NA"]}) == (0, 0, 0)
    assert compare_sentence({(-1, -1, "-NONE-"): ["NA"]}, {(-1, -1, "-NONE-"): ["noop"]}) == (1, 0, 0)
    assert f_score(0, 0, 0) == (1.0, 1.0, 1.0) and f_score(0, 3, 2) == (0.0, 0.0, 0.0)
    assert f_score(1, 2, 0) == (0.3333, 1.0, 0.3846) and f_score(1, 2, 0, digits=None)[2] == pytest.approx(5 / 13)


def test_missing_tables_name_the_file(tmp_path):
    with pytest.raises(DataError, match="cherrant/cilin.txt: file not found"):
        load_tables(tmp_path)
    (tmp_path / "cherrant").mkdir()
    (tmp_path / "cherrant" / "cilin.txt").write_text("Aa01A01= 人\n", encoding="gbk")
    with pytest.raises(DataError, match="confusion_dict.txt: file not found .*open-compass/LawBench"):
        load_tables(tmp_path)

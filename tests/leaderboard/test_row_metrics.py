"""The leaderboard rescores corpus-level metrics (LawBench tasks) from the per-item rows in the samples."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from lawbench.leaderboard.compare import Comparator
from lawbench.leaderboard.runs import Sample
from lawbench.leaderboard.stats import stable_seed
from lawbench.metrics.lawbench_oc import score_task
from lawbench.metrics.lawbench_oc.scoring import item_value, task_aggregation
from lawbench.metrics.resample import resample_counts

LEAF = "lawbench_oc_3_4"
REFERENCES = ["刑期:4个月", "刑期:18个月", "刑期:7个月", "刑期:6个月", "刑期:死刑", "刑期:30个月"]
OUTPUTS = {"a": ["[刑期]4个月<eoa>", "不知道", "[刑期]一年<eoa>", "3月", "无期", "两年"],
           "b": ["[刑期]4个月<eoa>", "[刑期]18个月<eoa>", "[刑期]7个月<eoa>", "3月", "无期", "两年"]}


def _run(name: str) -> SimpleNamespace:
    samples = {i: Sample(i, {}, ref, "", [], [], f"d{i}", f"p{i}", f"t{i}", [],
                         {"score": item_value("3-4", i, out, ref), "abstention_rate": item_value("3-4", i, out, ref)})
               for i, (out, ref) in enumerate(zip(OUTPUTS[name], REFERENCES))}
    return SimpleNamespace(samples={LEAF: {"none": samples}}, results={"versions": {LEAF: 1.0}}, manifest={})


def _score(name: str, metric: str) -> float:
    return score_task("3-4", [{"origin_prompt": "", "prediction": p, "refr": r}
                              for p, r in zip(OUTPUTS[name], REFERENCES)])[metric]


def test_lawbench_task_ci_and_paired_change_come_from_the_rows():
    tree = SimpleNamespace(version=lambda run, leaf: "1.0", task_hash=lambda run, leaf: None)
    comparator = Comparator({"a": _run("a"), "b": _run("b")}, tree, iters=200, seed=5)
    estimate = comparator.leaf_estimate("a", LEAF, "score", "none")
    assert estimate.point == _score("a", "score") and estimate.n == len(REFERENCES)
    rows = [item_value("3-4", i, out, ref) for i, (out, ref) in enumerate(zip(OUTPUTS["a"], REFERENCES))]
    counts = resample_counts(len(rows), 200, stable_seed(5, "a", LEAF, "none"))
    np.testing.assert_array_equal(estimate.reps, task_aggregation("score").replicates(rows, counts))

    status, _, reps, points = comparator._paired_leaf("a", "b", LEAF, "none")
    assert status == "ok"
    for metric in ("score", "abstention_rate"):
        assert points[metric] == _score("b", metric) - _score("a", metric)
        assert reps[metric].shape == (200,)
    assert points["score"] > 0  # b reads every term right where a abstained or misread

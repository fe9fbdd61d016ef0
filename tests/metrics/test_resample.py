"""Bootstrap on per-item rows: equal to re-scoring each resample, seeded, and no re-scoring on the fast path."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from lawbench.metrics.lawbench_oc import score_task
from lawbench.metrics.lawbench_oc import scoring as oc_scoring
from lawbench.metrics.lawbench_oc import terms as oc_terms
from lawbench.metrics.resample import MEAN, bootstrap_stderr_of, resample_counts
from lawbench.metrics.text import corpus_aggregation, corpus_score, item_stats
from lawbench.postprocess import with_bootstrap_stderrs
from lawbench.tasks.lawbench_oc import utils as oc_utils

# 3-4 records with every kind of row: right, wrong, abstained, a death sentence (skipped), Chinese numerals.
PREDICTIONS = ["[刑期]4个月<eoa>", "[刑期]一年<eoa>", "不知道", "[刑期]6月<eoa>", "无期", "判处有期徒刑两年六个月"]
REFERENCES = ["刑期:4个月", "刑期:18个月", "刑期:7个月", "刑期:6个月", "刑期:死刑", "刑期:30个月"]
METRICS = ("score", "score_strict", "abstention_rate", "abstention_rate_strict")


def _docs():
    return [{"idx": i, "task_id": "3-4", "instruction": "", "question": "", "answer": ref}
            for i, ref in enumerate(REFERENCES)]


def _items():
    return [oc_utils.process_results(doc, [pred])["score"] for doc, pred in zip(_docs(), PREDICTIONS)]


def _reference_replicates(counts: np.ndarray) -> dict[str, list[float]]:
    """The old way: the whole task scorer on each resample's records."""
    out = {metric: [] for metric in METRICS}
    for row in counts:
        chosen = np.repeat(np.arange(len(PREDICTIONS)), row)
        result = score_task("3-4", [{"origin_prompt": "", "prediction": PREDICTIONS[i], "refr": REFERENCES[i]}
                                    for i in chosen])
        for metric in METRICS:
            out[metric].append(result[metric])
    return out


def test_row_replicates_equal_rescoring_each_resample():
    counts = resample_counts(len(PREDICTIONS), iters=40, seed=7)
    items = _items()
    expected = _reference_replicates(counts)
    for metric in METRICS:
        aggregation = getattr(oc_utils, f"aggregate_{metric}")
        assert aggregation(items) == score_task("3-4", [{"origin_prompt": "", "prediction": p, "refr": r}
                                                        for p, r in zip(PREDICTIONS, REFERENCES)])[metric]
        np.testing.assert_allclose(aggregation.replicates(items, counts), expected[metric], rtol=1e-12,
                                   equal_nan=True)
        # ...and the stderr is the sample std of those replicates
        reference = np.std(np.asarray(expected[metric], dtype=float), ddof=1)
        assert bootstrap_stderr_of(aggregation, items, iters=40, seed=7) == pytest.approx(reference, rel=1e-12,
                                                                                           nan_ok=True)


def test_corpus_replicates_equal_sacrebleu_on_each_resample():
    pairs = [("被告人犯盗窃罪", "被告人犯盗窃罪。"), ("判处罚金", "判处有期徒刑一年"),
             ("本院认为", "本院认为被告人有罪")]
    counts = resample_counts(len(pairs), iters=15, seed=3)
    for metric in ("bleu", "chrf", "ter"):
        rows = [item_stats(p, r)[metric] for p, r in pairs]
        expected = [corpus_score(metric, np.repeat(np.asarray(rows), row, axis=0)) for row in counts]
        np.testing.assert_allclose(corpus_aggregation(metric).replicates(rows, counts), expected, rtol=1e-12)


def test_resamples_are_seeded():
    first = resample_counts(7, iters=50, seed=11)
    assert (first == resample_counts(7, iters=50, seed=11)).all()
    assert not (first == resample_counts(7, iters=50, seed=12)).all()
    assert (first.sum(axis=1) == 7).all()
    values = [0.0, 1.0, 1.0, 0.5, 0.25, 1.0, 0.0]
    assert bootstrap_stderr_of(MEAN, values, iters=50, seed=11) == bootstrap_stderr_of(MEAN, values, iters=50, seed=11)


def test_eval_bootstrap_scores_no_output_and_runs_no_aggregate_per_resample(monkeypatch):
    items = _items()  # each record scored once, before counting starts
    calls = {"aggregate": 0, "read": 0}
    aggregate_rows, lawbench_months = oc_scoring.aggregate_rows, oc_terms.lawbench_months

    def counted_aggregate(*args, **kwargs):
        calls["aggregate"] += 1
        return aggregate_rows(*args, **kwargs)

    def counted_read(*args, **kwargs):
        calls["read"] += 1
        return lawbench_months(*args, **kwargs)

    monkeypatch.setattr(oc_scoring, "aggregate_rows", counted_aggregate)
    monkeypatch.setattr(oc_terms, "lawbench_months", counted_read)
    task = SimpleNamespace(config=SimpleNamespace(metadata={"lawbench_bootstrap_iters": 500}),
                           aggregation=lambda: {m: getattr(oc_utils, f"aggregate_{m}") for m in METRICS})
    results = {"results": {"lawbench_oc_3_4": {f"{m}_stderr,none": "N/A" for m in METRICS}},
               "samples": {"lawbench_oc_3_4": [{m: item for m in METRICS} for item in items]}}
    filled = with_bootstrap_stderrs(results, {"lawbench_oc_3_4": task}, seed=1234)["results"]["lawbench_oc_3_4"]
    assert all(isinstance(filled[f"{m}_stderr,none"], float) for m in METRICS)
    assert calls == {"aggregate": 0, "read": 0}  # 4 metrics x 500 resamples, no scorer call at all

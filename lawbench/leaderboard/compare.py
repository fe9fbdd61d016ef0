"""Scores with 95% CIs and paired changes between runs, behind a comparability guard.

For one run, a task's CI is a bootstrap over its items (per-item values, or for corpus-level metrics
the per-item rows rescored on each resample: LawBench records, sacreBLEU statistics); a group's is
stratified by leaf task and aggregated as lm-eval aggregated the group (size-weighted or plain mean,
read off the reported score). A change between two runs is a *paired* bootstrap on the items both
runs scored: the per-item difference (or both runs' rows, resampled alike) is resampled, so the
interval reflects only how the two models differ on the same items.

The guard (``GUARD``) decides whether a change may be shown: differing task versions, documents or
rendered prompts (lm-eval's ``doc_hash`` / ``prompt_hash``, or the manifest's task hash) block it;
a change measured on a subset of the items, or without per-item samples, is shown but flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lawbench.leaderboard.items import Alignment, ItemTable, align
from lawbench.leaderboard.judged import judge_identity
from lawbench.leaderboard.runs import Run
from lawbench.leaderboard.stats import bootstrap_means, change_summary, ci95, combine, combine_points, rnd, stable_seed
from lawbench.leaderboard.tasktree import TaskTree, split_metric_key
from lawbench.metrics.resample import resample_counts

# status -> (the change may be shown, what the flag says); listed from the mildest to the worst.
GUARD: dict[str, tuple[bool, str]] = {
    "ok": (True, "same task version, documents and prompts"),
    "subset": (True, "compared on the items both runs scored (their item sets differ)"),
    "noitems": (True, "no per-item samples: difference of the reported scores, no paired test"),
    "prompt": (False, "prompts differ (task hash / prompt_hash): not comparable"),
    "docs": (False, "documents or targets differ (doc_hash): not comparable"),
    "version": (False, "task versions differ: not comparable"),
    "disjoint": (False, "no items in common: not comparable"),
    "judge": (False, "judged by another judge model or rubric (judge_* metrics): not comparable"),
}
STATUS_ORDER = list(GUARD)
Z95 = 1.959963984540054


def worst(statuses) -> str:
    return max(statuses, key=STATUS_ORDER.index, default="ok")


@dataclass
class Estimate:
    """A point estimate with its bootstrap replicates (``None`` when there are no items)."""

    point: float
    reps: np.ndarray | None
    n: int
    status: str = "ok"


class Comparator:
    """Computes cells and changes for runs keyed by id, caching per-leaf bootstrap replicates."""

    def __init__(self, runs: dict[str, Run], tree: TaskTree, iters: int = 1000, seed: int = 1234,
                 references: frozenset[str] = frozenset()):
        self.runs, self.tree, self.iters, self.seed = runs, tree, iters, seed
        # Reference models (published outputs) were prompted their own way and carry no task version:
        # a pair with one is compared on documents and targets only.
        self.references = references
        self._tables: dict[tuple, ItemTable | None] = {}
        self._reps: dict[tuple, np.ndarray] = {}
        self._row_estimates: dict[tuple, Estimate] = {}
        # (a, b, leaf, filter) -> (guard status, alignment, {metric: replicates}, {metric: observed diff})
        self._paired: dict[tuple, tuple[str, Alignment | None, dict | None, dict[str, float]]] = {}

    # ------------------------------------------------------------------ items
    def table(self, run_id: str, leaf: str, filt: str) -> ItemTable | None:
        key = (run_id, leaf, filt)
        if key not in self._tables:
            samples = self.runs[run_id].samples.get(leaf, {}).get(filt)
            self._tables[key] = ItemTable.from_samples(samples) if samples else None
        return self._tables[key]

    def _leaf_reps(self, run_id: str, leaf: str, filt: str) -> np.ndarray:
        key = (run_id, leaf, filt)
        if key not in self._reps:
            table = self.table(run_id, leaf, filt)
            metrics = table.numeric_metrics()
            self._reps[key] = bootstrap_means(table.matrix(metrics), self.iters,
                                              stable_seed(self.seed, run_id, leaf, filt))
        return self._reps[key]

    def leaf_estimate(self, run_id: str, leaf: str, metric: str, filt: str) -> Estimate | None:
        table = self.table(run_id, leaf, filt)
        if table is not None and metric in table.rows:  # a corpus-level metric: rescored from per-item rows
            key = (run_id, leaf, filt, metric)
            if key not in self._row_estimates:
                aggregate, rows = table.row_aggregations[metric], table.rows[metric]
                counts = resample_counts(table.n, self.iters, stable_seed(self.seed, run_id, leaf, filt))
                self._row_estimates[key] = Estimate(float(aggregate(rows)), aggregate.replicates(rows, counts),
                                                    table.n)
            return self._row_estimates[key]
        if table is None or metric not in table.values:
            return None
        column = table.numeric_metrics().index(metric)
        return Estimate(float(table.values[metric].mean()), self._leaf_reps(run_id, leaf, filt)[:, column], table.n)

    # ------------------------------------------------------------------ one run
    def estimate(self, run_id: str, node: str, metric: str, filt: str) -> Estimate | None:
        """Bootstrap estimate of ``node``'s metric in one run, from its items (``None`` without them)."""
        if self.tree.is_leaf(node):
            return self.leaf_estimate(run_id, node, metric, filt)
        gap = self.tree.shift_gap_sides(node, metric)
        if gap:
            original, poisoned = (self.estimate(run_id, side, gap[0], filt) for side in gap[1:])
            if original is None or poisoned is None or original.reps is None or poisoned.reps is None:
                return None
            return Estimate(poisoned.point - original.point, poisoned.reps - original.reps, original.n + poisoned.n)
        leaves = self.tree.run_leaves(self.runs[run_id], node, f"{metric},{filt}")
        parts = [self.leaf_estimate(run_id, leaf, metric, filt) for leaf in leaves]
        if not parts or any(p is None for p in parts):
            return None
        weighted = self.tree.weight_by_size(self.runs[run_id], node, f"{metric},{filt}")
        sizes = [p.n for p in parts]
        return Estimate(combine_points([p.point for p in parts], sizes, weighted),
                        combine([p.reps for p in parts], sizes, weighted), sum(sizes))

    def cell(self, run_id: str, node: str, metric_key: str) -> dict | None:
        """Reported score, n and a 95% CI (bootstrap over items, else +-1.96 stderr)."""
        entry = self.runs[run_id].results["results"].get(node) or {}
        score = entry.get(metric_key)
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            return None
        metric, filt = split_metric_key(metric_key)
        found = self.estimate(run_id, node, metric, filt)
        cell: dict = {"score": rnd(score), "n": found.n if found else self.tree.reported_n(self.runs[run_id], node)}
        if found is not None and found.reps is not None:
            cell["lo"], cell["hi"] = ci95(found.reps)
            cell["ci"] = "bootstrap"
        else:
            stderr = entry.get(f"{metric}_stderr,{filt}")
            if isinstance(stderr, (int, float)) and not isinstance(stderr, bool):
                cell["lo"], cell["hi"] = rnd(score - Z95 * stderr), rnd(score + Z95 * stderr)
                cell["ci"] = "stderr"
        return cell

    # ------------------------------------------------------------------ two runs
    def leaf_status(self, a: str, b: str, leaf: str, filt: str) -> tuple[str, Alignment | None]:
        """The guard's verdict for one task between runs ``a`` and ``b``."""
        reference = a in self.references or b in self.references
        if not reference and self.tree.version(self.runs[a], leaf) != self.tree.version(self.runs[b], leaf):
            return "version", None
        ta, tb = self.table(a, leaf, filt), self.table(b, leaf, filt)
        if ta is None or tb is None:
            hash_a, hash_b = self.tree.task_hash(self.runs[a], leaf), self.tree.task_hash(self.runs[b], leaf)
            return ("prompt" if hash_a and hash_b and hash_a != hash_b else "noitems"), None
        alignment = align(ta, tb, check_prompts=not reference)
        return alignment.status, alignment

    def _paired_leaf(self, a: str, b: str, leaf: str, filt: str):
        key = (a, b, leaf, filt)
        if key not in self._paired:
            status, alignment = self.leaf_status(a, b, leaf, filt)
            reps, points = None, {}
            if alignment is not None and GUARD[status][0]:
                ta, tb = self.table(a, leaf, filt), self.table(b, leaf, filt)
                metrics = sorted(set(ta.values) & set(tb.values))
                diffs = tb.matrix(metrics, alignment.rows_b) - ta.matrix(metrics, alignment.rows_a)
                seed = stable_seed(self.seed, a, b, leaf, filt)
                reps = bootstrap_means(diffs, self.iters, seed)
                points = {m: float(diffs[:, i].mean()) for i, m in enumerate(metrics)}
                reps = {m: reps[:, i] for i, m in enumerate(metrics)}
                # corpus-level metrics: both runs' rows on the shared items, the same resamples on each side
                counts = resample_counts(len(alignment.doc_ids), self.iters, seed)
                for m in sorted(set(ta.rows) & set(tb.rows)):
                    aggregate = tb.row_aggregations[m]
                    rows_a = [ta.rows[m][i] for i in alignment.rows_a]
                    rows_b = [tb.rows[m][i] for i in alignment.rows_b]
                    points[m] = float(aggregate(rows_b)) - float(aggregate(rows_a))
                    reps[m] = aggregate.replicates(rows_b, counts) - aggregate.replicates(rows_a, counts)
            self._paired[key] = (status, alignment, reps, points)
        return self._paired[key]

    def paired(self, a: str, b: str, node: str, metric: str, filt: str) -> Estimate | None:
        """Paired estimate of ``b - a`` on shared items, or only a guard status (``reps is None``)."""
        if self.tree.is_leaf(node):
            judges = {judge_identity(self.runs[run], node) for run in (a, b)}
            if metric.startswith("judge_") and len(judges) > 1:
                return Estimate(float("nan"), None, 0, "judge")  # the judge and rubric are part of the metric
            status, alignment, reps, points = self._paired_leaf(a, b, node, filt)
            if reps is None or metric not in reps:
                return Estimate(float("nan"), None, 0, status if status != "ok" else "noitems")
            return Estimate(points[metric], reps[metric], len(alignment.doc_ids), status)
        gap = self.tree.shift_gap_sides(node, metric)
        if gap:
            original, poisoned = (self.paired(a, b, side, gap[0], filt) for side in gap[1:])
            status = worst([original.status, poisoned.status])
            if original.reps is None or poisoned.reps is None:
                return Estimate(float("nan"), None, 0, status)
            return Estimate(poisoned.point - original.point, poisoned.reps - original.reps, original.n + poisoned.n,
                            status)
        key = f"{metric},{filt}"
        leaves_a = set(self.tree.run_leaves(self.runs[a], node, key))
        leaves_b = self.tree.run_leaves(self.runs[b], node, key)
        shared = [leaf for leaf in leaves_b if leaf in leaves_a]
        if not shared:
            return Estimate(float("nan"), None, 0, "disjoint")
        parts = [self.paired(a, b, leaf, metric, filt) for leaf in shared]
        status = worst([p.status for p in parts]
                       + (["subset"] if len(shared) != len(leaves_a) or len(shared) != len(leaves_b) else []))
        if any(p.reps is None for p in parts) or not GUARD[status][0]:
            return Estimate(float("nan"), None, 0, status)
        weighted = self.tree.weight_by_size(self.runs[b], node, key)
        sizes = [p.n for p in parts]
        return Estimate(combine_points([p.point for p in parts], sizes, weighted),
                        combine([p.reps for p in parts], sizes, weighted), sum(sizes), status)

    def change(self, a: str, b: str, node: str, metric_key: str, higher_is_better: bool | None) -> dict | None:
        """``b`` minus ``a`` for one overview cell: diff, 95% CI, significance and the guard status."""
        cell_a, cell_b = self.cell(a, node, metric_key), self.cell(b, node, metric_key)
        if cell_a is None or cell_b is None:
            return None
        metric, filt = split_metric_key(metric_key)
        found = self.paired(a, b, node, metric, filt)
        allowed = GUARD[found.status][0]
        if not allowed:
            return {"status": found.status}
        if found.reps is None:  # no items: the reported scores' difference, flagged
            return {"status": "noitems", "diff": rnd(cell_b["score"] - cell_a["score"]), "n": 0}
        out = {"status": found.status, "n": found.n, **change_summary(found.reps, found.point)}
        if out["significant"]:
            out["direction"] = "up" if out["diff"] > 0 else "down"
            if higher_is_better is not None:
                out["better"] = (out["diff"] > 0) == bool(higher_is_better)
        return out

    # ------------------------------------------------------------------ transitions
    def transitions(self, a: str, b: str, leaf: str, filt: str = "none") -> dict:
        """Per binary metric: doc ids fixed (wrong -> right), broken, still right and still wrong."""
        status, alignment, _, _ = self._paired_leaf(a, b, leaf, filt)
        ta, tb = self.table(a, leaf, filt), self.table(b, leaf, filt)
        if alignment is None or ta is None or tb is None or status in ("docs", "disjoint"):
            return {"status": status, "metrics": {}}
        out = {}
        for metric in sorted(set(ta.values) & set(tb.values)):
            if not (ta.is_binary(metric) and tb.is_binary(metric)):
                continue
            before = ta.values[metric][alignment.rows_a] == 1.0
            after = tb.values[metric][alignment.rows_b] == 1.0
            ids = np.asarray(alignment.doc_ids)
            out[metric] = {
                "fixed": ids[~before & after].tolist(),
                "broken": ids[before & ~after].tolist(),
                "still_right": ids[before & after].tolist(),
                "still_wrong": ids[~before & ~after].tolist(),
            }
        return {"status": status, "metrics": out}

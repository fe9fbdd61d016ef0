"""Tasks and groups across runs: the overview's rows and how each group aggregates its leaves.

lm-eval 0.4.13 reports a group as an aggregate over *all* its leaf tasks (nested groups included),
size-weighted (``weight_by_size: true``, the default) or as a plain mean of leaf scores. The results
file does not say which, so :meth:`TaskTree.weight_by_size` reads it off the reported number.

Example:
    >>> split_metric_key("acc,none"), split_metric_key("exact_match,strict-match")
    (('acc', 'none'), ('exact_match', 'strict-match'))
"""

from __future__ import annotations

from dataclasses import dataclass

from lawbench.leaderboard.runs import Run
from lawbench.tasks.primary import primary_metric

SHIFT_GAP_PREFIX = "shift_gap_"  # lawbench's LawShift group metric: pooled poisoned minus original


def split_metric_key(key: str) -> tuple[str, str]:
    metric, _, filt = key.rpartition(",")
    return (metric, filt) if metric else (key, "none")


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Row:
    node: str  # task or group name
    kind: str  # "group" | "task"
    depth: int
    ancestors: tuple[str, ...]


class TaskTree:
    """The union of the runs' task trees (``group_subtasks``), in the order the runs list them."""

    def __init__(self, runs: list[Run]):
        self.children: dict[str, list[str]] = {}
        nodes: list[str] = []
        for run in runs:
            for group, members in (run.results.get("group_subtasks") or {}).items():
                known = self.children.setdefault(group, [])
                known.extend(m for m in members if m not in known)
            nodes.extend(n for n in run.results["results"] if n not in nodes)
        self.nodes = nodes
        self._runs_higher = [run.results.get("higher_is_better") or {} for run in runs]
        self._metric_lists = [run.results.get("configs") or {} for run in runs]

    def is_leaf(self, node: str) -> bool:
        return node not in self.children

    def rows(self) -> list[Row]:
        """Groups depth-first with their members, then tasks outside any group; names sorted at the top."""
        members = {m for ms in self.children.values() for m in ms}
        present = set(self.nodes)
        out: list[Row] = []
        seen: set[str] = set()

        def walk(node: str, depth: int, ancestors: tuple[str, ...]) -> None:
            if node in seen:
                return
            seen.add(node)
            if node in present:
                out.append(Row(node, "task" if self.is_leaf(node) else "group", depth, ancestors))
            for child in self.children.get(node, []):
                walk(child, depth + 1, ancestors + (node,))

        for top in sorted(n for n in set(self.children) | present if n not in members):
            walk(top, 0, ())
        return out

    def leaves(self, group: str, children: dict[str, list[str]]) -> list[str]:
        found: list[str] = []
        for child in children.get(group, []):
            for leaf in (self.leaves(child, children) if child in children else [child]):
                if leaf not in found:
                    found.append(leaf)
        return found

    def run_leaves(self, run: Run, node: str, metric_key: str) -> list[str]:
        """``node``'s leaf tasks in ``run`` that report ``metric_key``."""
        table = run.results["results"]
        leaves = self.leaves(node, run.results.get("group_subtasks") or {}) if not self.is_leaf(node) else [node]
        return [leaf for leaf in leaves if _number((table.get(leaf) or {}).get(metric_key))]

    def weight_by_size(self, run: Run, group: str, metric_key: str) -> bool:
        """Whether lm-eval pooled this group by size: the aggregate closer to the reported score."""
        table = run.results["results"]
        reported = (table.get(group) or {}).get(metric_key)
        leaves = self.run_leaves(run, group, metric_key)
        if not _number(reported) or not leaves:
            return True
        scores = [table[leaf][metric_key] for leaf in leaves]
        sizes = [self.reported_n(run, leaf) or 0 for leaf in leaves]
        plain = sum(scores) / len(scores)
        if sum(sizes) == 0:
            return True
        pooled = sum(s * n for s, n in zip(scores, sizes)) / sum(sizes)
        return abs(pooled - reported) <= abs(plain - reported)

    def shift_gap_sides(self, node: str, metric: str) -> tuple[str, str, str] | None:
        """``(base metric, original group, poisoned group)`` for a ``shift_gap_<metric>`` of ``node``."""
        if not metric.startswith(SHIFT_GAP_PREFIX):
            return None
        children = self.children.get(node, [])
        original = next((c for c in children if c.endswith("_original")), None)
        poisoned = next((c for c in children if c.endswith("_poisoned")), None)
        if not original or not poisoned:
            return None
        return metric[len(SHIFT_GAP_PREFIX):], original, poisoned

    @staticmethod
    def reported_n(run: Run, node: str) -> int | None:
        entry = run.results["results"].get(node) or {}
        n = (run.results.get("n-samples") or {}).get(node, {}).get("effective", entry.get("sample_len"))
        return n if isinstance(n, int) else None

    @staticmethod
    def version(run: Run, leaf: str) -> str | None:
        version = (run.results.get("versions") or {}).get(leaf)
        if isinstance(version, float) and version.is_integer():
            version = f"{version:.1f}"
        return None if version is None else str(version)

    @staticmethod
    def task_hash(run: Run, leaf: str) -> str | None:
        info = (run.manifest.get("tasks") or {}).get(leaf) or {}
        return info.get("hash") or (run.results.get("task_hashes") or {}).get(leaf)

    def metric_keys(self, node: str, runs: list[Run]) -> list[str]:
        """Metric keys any run reports for ``node`` (stderr and bookkeeping left out), primary first."""
        keys: list[str] = []
        for run in runs:
            for key, value in (run.results["results"].get(node) or {}).items():
                if "," in key and "_stderr," not in key and _number(value) and key not in keys:
                    keys.append(key)
        primary = self.primary_metric(node)
        keys.sort(key=lambda k: (split_metric_key(k)[0] != primary, k.startswith(SHIFT_GAP_PREFIX), k))
        return keys

    def primary_metric(self, node: str) -> str | None:
        """The family's primary metric (:mod:`lawbench.tasks.primary`) of the task, or of a group's first
        leaf, when its ``metric_list`` has it; else that list's first metric."""
        leaf = node
        while not self.is_leaf(leaf) and self.children.get(leaf):
            leaf = self.children[leaf][0]
        for configs in self._metric_lists:
            listed = (configs.get(leaf) or {}).get("metric_list") or []
            names = [str(m["metric"]) for m in listed if isinstance(m, dict) and m.get("metric")]
            if names:
                return primary_metric(leaf, names)
        return None

    def higher_is_better(self, node: str, metric: str) -> bool | None:
        for table in self._runs_higher:
            value = (table.get(node) or {}).get(metric)
            if isinstance(value, bool):
                return value
        leaves = self.leaves(node, self.children) if not self.is_leaf(node) else [node]
        for leaf in leaves[:1]:
            for table in self._runs_higher:
                value = (table.get(leaf) or {}).get(metric)
                if isinstance(value, bool):
                    return value
        return None

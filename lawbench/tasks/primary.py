"""The default (primary) metric of each task family: the one number a summary shows per task.

Every view that shows one metric per task uses it (the leaderboard's overview, statute-shift view,
transitions, charts and exports). A family is named by its tasks' prefix; a task of no listed family
(``legal_mmlu``'s MMLU / CMMLU / C-Eval / JEC-QA / DISC-Law-Eval tasks, plain lm-eval tasks) takes the
first metric of its ``metric_list``, which for ``legal_mmlu`` is ``acc`` (log-likelihood variants) or
``exact_match`` (``*_gen``).

Why these (``docs/leaderboard.md`` has the table):

- ``lawshift``: ``verdict_acc``, the only check that follows the statute the prompt gives on both sides
  and for every scenario type (LawShift's reference evaluator). ``charge_acc`` expects the same charge
  on both sides of every scenario but NV, so it cannot show whether a model applied the changed statute.
- ``lawbench_oc``: ``score``, LawBench's own per-task metric (what its leaderboard reports).
- ``legal_qa``: ``rouge1``, the first of the family's metric list (ROUGE-1 F on characters).

Example:
    >>> primary_metric("lawshift_term_up_poisoned", ["charge_acc", "verdict_acc"])
    'verdict_acc'
    >>> primary_metric("ceval_legal_law", ["acc", "acc_norm"]), primary_metric("x", [])
    ('acc', None)
"""

from __future__ import annotations

from collections.abc import Sequence

# (task-name prefix, primary metric): the first matching prefix wins.
FAMILY_PRIMARY = (("lawshift", "verdict_acc"), ("lawbench_oc", "score"), ("legal_qa", "rouge1"))


def family(task: str) -> str | None:
    """The family of ``task`` among :data:`FAMILY_PRIMARY` (its name or its name's prefix), else ``None``.

    >>> family("lawshift"), family("lawshift_term_up_original"), family("ceval_legal_law")
    ('lawshift', 'lawshift', None)
    """
    return next((prefix for prefix, _ in FAMILY_PRIMARY if task == prefix or task.startswith(prefix + "_")), None)


def family_primary(task: str) -> str | None:
    """The primary metric of ``task``'s family, when the family sets one."""
    return dict(FAMILY_PRIMARY).get(family(task) or "")


def primary_metric(task: str, metrics: Sequence[str]) -> str | None:
    """The family's primary metric when ``task`` reports it, else the first of ``metrics`` (the task's
    ``metric_list`` order)."""
    chosen = family_primary(task)
    if chosen is not None and chosen in metrics:
        return chosen
    return metrics[0] if metrics else None

"""lm-eval hooks of the LawShift tasks: load one scenario side, build prompts, score outputs.

lm-eval imports this file by path (``!function utils.load_lawshift`` in the YAMLs), so it holds only
thin hooks; the data access lives in :mod:`lawbench.tasks.lawshift.data` and the scoring in
:mod:`lawbench.metrics.lawshift`, both shared with the rest of lawbench.
"""

from __future__ import annotations

from lawbench.metrics.lawshift import score_case
from lawbench.tasks.lawshift.data import load_side_dataset


def load_lawshift(scenario: str, side: str, data_dir: str | None = None, lawshift_articles: str = "new", **_):
    """``custom_dataset`` hook: ``{"test": Dataset}`` of one scenario side.

    ``data_dir`` and ``lawshift_articles`` arrive through lm-eval's task metadata
    (``lawbench eval --data-dir`` / ``--lawshift-articles``, or ``lm_eval --metadata '{...}'``).
    """
    import datasets

    docs = load_side_dataset(scenario, side, data_dir=data_dir, articles_mode=lawshift_articles)
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})


def process_results(doc: dict, results: list[str]) -> dict[str, float]:
    """Per-case metrics: charge_acc, term_acc, term_score, verdict_acc, parse_rate."""
    return score_case(
        results[0],
        charge=doc["charge"],
        prison_time=doc["prison_time"],
        side=doc["side"],
        shift_type=doc["shift_type"],
    )

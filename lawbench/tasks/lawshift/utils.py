"""lm-eval hooks of the LawShift tasks: load one scenario side, build prompts, score outputs.

lm-eval imports this file by path (``!function utils.load_lawshift`` in the YAMLs), so it holds only
thin hooks; the data access lives in :mod:`lawbench.tasks.lawshift.data` and the scoring in
:mod:`lawbench.metrics.lawshift`, both shared with the rest of lawbench.

Scoring runs in two steps so that each output is parsed once and the samples keep what was read:
the template's filter (:func:`score_responses`) turns every output into a
:class:`~lawbench.metrics.Score` record, which lm-eval logs as the sample's ``filtered_resps`` with
``str()``, i.e. the canonical answer (``盗窃 | 18``, ``不违规``, ``""`` when unparsed); then
:func:`process_results` hands lm-eval the record's metrics. ``resps`` keeps the raw output.

Example:
    >>> doc = {"charge": "盗窃", "prison_time": 6, "side": "original", "shift_type": "V"}
    >>> [[record]] = score_responses([["<think>…</think><answer>盗窃罪 | 6</answer>"]], [doc])
    >>> str(record), process_results(doc, [record])["charge_acc"]
    ('盗窃 | 6', 1.0)
"""

from __future__ import annotations

from lawbench.metrics.lawshift import score_judgment
from lawbench.metrics.retrieval import retrieval_recall
from lawbench.metrics.score import Score
from lawbench.tasks.lawshift.data import load_side_dataset


def load_lawshift(scenario: str, side: str, data_dir: str | None = None, lawshift_articles: str = "new",
                  rag_index: str | None = None, rag_k: int = 5, **_):
    """``custom_dataset`` hook: ``{"test": Dataset}`` of one scenario side.

    ``data_dir``, ``lawshift_articles``, ``rag_index`` and ``rag_k`` arrive through lm-eval's task metadata
    (``lawbench eval --data-dir`` / ``--lawshift-articles`` / ``--rag`` / ``--rag-k``, or
    ``lm_eval --metadata '{...}'``).
    """
    import datasets

    docs = load_side_dataset(scenario, side, data_dir=data_dir, articles_mode=lawshift_articles,
                             rag_index=rag_index, rag_k=rag_k)
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})


def score_output(doc: dict, output: str) -> Score:
    """The :func:`~lawbench.metrics.score_judgment` record of one output for one case."""
    return score_judgment(output, charge=doc["charge"], prison_time=doc["prison_time"], side=doc["side"],
                          shift_type=doc["shift_type"])


def score_responses(resps, docs):
    """Filter: each document's outputs → their :class:`~lawbench.metrics.Score` records (parsed once)."""
    return [[score_output(doc, output) for output in outputs] for outputs, doc in zip(resps, docs)]


def process_results(doc: dict, results: list) -> dict[str, float]:
    """Per-case metrics: charge_acc, term_acc, term_score, verdict_acc, parse_rate, and retrieval_recall
    when the prompt carried retrieved provisions (``lawbench eval --rag``).

    ``results[0]`` is the filter's record, or a raw output (a task config without the filter).
    """
    first = results[0]
    metrics = dict((first if isinstance(first, Score) else score_output(doc, first)).value)
    retrieved = doc.get("retrieved_articles")
    if retrieved is not None:  # only a --rag prompt has retrieved provisions (and then the gold ids count)
        recall = retrieval_recall(doc.get("relevant_articles") or [], retrieved)
        if recall is not None:
            metrics["retrieval_recall"] = recall
    return metrics

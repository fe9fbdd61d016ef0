"""lm-eval hooks of the legal Q&A tasks: per-item text metrics, corpus sacreBLEU aggregations."""

from __future__ import annotations

from lawbench.metrics.text import corpus_aggregation, item_stats, pair_scores
from lawbench.tasks.legal_qa import data


def _dataset(docs: list[dict], rag_index: str | None = None, rag_k: int = 5):
    """The docs as lm-eval's dataset; with ``rag_index`` (``lawbench eval --rag``) each question is preceded by
    the provisions retrieved for it."""
    import datasets

    if rag_index:
        from lawbench.rag.context import questions_with_provisions

        docs = questions_with_provisions(docs, rag_index, rag_k)
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})


def load_disc_subjective(data_dir: str | None = None, rag_index: str | None = None, rag_k: int = 5, **_):
    return _dataset(data.load_disc_subjective(data_dir), rag_index, rag_k)


def load_lawbench_qa(task_id: str, data_dir: str | None = None, rag_index: str | None = None, rag_k: int = 5,
                     **_):
    return _dataset(data.load_lawbench_qa(task_id, data_dir), rag_index, rag_k)


def process_results(doc: dict, results: list[str]) -> dict:
    """Pairwise metrics per item (averaged), sacreBLEU statistics per item (summed at corpus level)."""
    prediction = results[0]
    return {**pair_scores([prediction], [doc["reference"]])[0], **item_stats(prediction, doc["reference"])}


# Corpus scores of the summed rows; lawbench eval's bootstrap resamples the same rows (no re-scoring).
corpus_bleu = corpus_aggregation("bleu")
corpus_ter = corpus_aggregation("ter")
corpus_chrf = corpus_aggregation("chrf")

"""lm-eval hooks of the legal multiple-choice tasks (loaded by path from the YAMLs)."""

from __future__ import annotations

from lawbench.metrics.choice import MULTI_CHOICES, extract_choice
from lawbench.tasks.legal_mmlu import data


def _dataset(splits: dict[str, list[dict]]):
    import datasets

    return datasets.DatasetDict({name: datasets.Dataset.from_list(docs) for name, docs in splits.items()})


def load_mmlu(subject: str, data_dir: str | None = None, **_):
    return _dataset(data.load_mmlu(subject, data_dir))


def load_cmmlu(subject: str, data_dir: str | None = None, **_):
    return _dataset(data.load_cmmlu(subject, data_dir))


def load_ceval(subject: str, data_dir: str | None = None, **_):
    return _dataset(data.load_ceval(subject, data_dir))


def load_jecqa(kind: str, data_dir: str | None = None, **_):
    return _dataset(data.load_jecqa(kind, data_dir))


def load_disc(kind: str, exam: str, data_dir: str | None = None, **_):
    return _dataset(data.load_disc(kind, exam, data_dir))


def multi_choices(doc: dict) -> list[str]:
    """Every option subset of 2+ letters: a multi-answer question is right only on the exact set."""
    return list(MULTI_CHOICES)


def multi_target(doc: dict) -> int:
    return MULTI_CHOICES.index(doc["answer"])


def extract_single(resps, docs):
    """Filter: free-text answers → the chosen letter ("" when none is recognised)."""
    return [[extract_choice(r) for r in doc_resps] for doc_resps in resps]


def extract_multi(resps, docs):
    """Filter: free-text answers → the sorted set of chosen letters."""
    return [[extract_choice(r, multi=True) for r in doc_resps] for doc_resps in resps]

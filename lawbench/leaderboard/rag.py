"""What retrieval costs: each ``lawbench eval --rag`` run beside a gold-article run of the same model.

A run whose manifest has ``rag`` (the index digest, size, retriever and k) is paired with a run of the same
model fingerprint without it, evaluated on the same LawShift tasks with the gold ``relevant_articles`` in the
prompt. Per LawShift group (``lawshift``, ``lawshift_original``, ``lawshift_poisoned``) the view gives the
pooled ``retrieval_recall`` and, per accuracy metric, the gold-article score, the retrieval score and their
difference (``cost`` = gold − rag: what the model loses when it has to find the law itself). Scores are the
runs' own aggregates; a rag run without a matching gold run is listed with its recall only.

Example:
    >>> from types import SimpleNamespace as NS
    >>> def run(rag, verdict, recall=None):
    ...     res = {"lawshift": {"verdict_acc,none": verdict, **({"retrieval_recall,none": recall} if recall else {})}}
    ...     man = {"model": {"fingerprint": "f"}, "rag": rag}
    ...     return NS(results={"results": res}, manifest=man)
    >>> view = rag_view({"gold": run(None, 0.8), "rag": run({"digest": "d", "k": 5}, 0.6, 0.7)}, ["gold", "rag"])
    >>> row, pooled = view["runs"][0], view["runs"][0]["groups"]["lawshift"]
    >>> row["gold_run"], pooled["retrieval_recall"], pooled["metrics"]["verdict_acc"]
    ('gold', 0.7, {'gold': 0.8, 'rag': 0.6, 'cost': 0.2})
"""

from __future__ import annotations

GROUPS = ("lawshift", "lawshift_original", "lawshift_poisoned")
METRICS = ("verdict_acc", "charge_acc", "term_acc", "term_score", "parse_rate")


def _score(run, group: str, metric: str) -> float | None:
    value = (run.results.get("results") or {}).get(group, {}).get(f"{metric},none")
    return float(value) if isinstance(value, (int, float)) else None


def rag_view(runs: dict, order: list[str]) -> dict | None:
    """``{"runs": [...]}`` for the site (``None`` when no run used ``--rag``)."""
    rows = []
    for run_id in order:
        rag = runs[run_id].manifest.get("rag")
        if not isinstance(rag, dict):
            continue
        fingerprint = (runs[run_id].manifest.get("model") or {}).get("fingerprint")
        gold = next((other for other in order if other != run_id and not runs[other].manifest.get("rag")
                     and fingerprint and (runs[other].manifest.get("model") or {}).get("fingerprint") == fingerprint
                     and _score(runs[other], "lawshift", "verdict_acc") is not None), None)
        groups = {}
        for group in GROUPS:
            recall = _score(runs[run_id], group, "retrieval_recall")
            metrics = {}
            for metric in METRICS:
                mine, theirs = _score(runs[run_id], group, metric), _score(runs[gold], group, metric) if gold else None
                if mine is not None:
                    metrics[metric] = {"gold": theirs, "rag": mine,
                                       "cost": round(theirs - mine, 6) if theirs is not None else None}
            if recall is not None or metrics:
                groups[group] = {"retrieval_recall": recall, "metrics": metrics}
        index = {k: rag.get(k) for k in ("digest", "provisions", "retriever", "k", "embedding_model")}
        rows.append({"run": run_id, "gold_run": gold, "index": index, "groups": groups})
    return {"runs": rows, "metrics": list(METRICS)} if rows else None

"""Retrieved provisions as prompt context: for LawShift cases, Q&A, chat and batch generation.

LawShift (:func:`retrieve_for_cases`): the case's fact is the query; the prompt carries the top-k
retrieved provisions in place of the gold ``relevant_articles``. On the poisoned side the scenario's
changed provisions (``articles_poisoned.json``) supersede the indexed text of the same ids: a model
is handed the law in force, as a lawyer would look it up after the amendment.

Questions (:func:`with_provisions`): the provisions go before the question in a ``【相关法条】``
block, the way LawShift's prompts show articles; below ``min_score`` nothing is added (the seed
project's rule: a weak match is noise, not help).

Example:
    >>> from lawbench.rag.index import Hit
    >>> print(with_provisions("容留他人吸毒怎么判？", [Hit("354-0-0", "【容留他人吸毒罪】……", 3.2, "a.json")]))
    【相关法条】
    【354-0-0】【容留他人吸毒罪】……
    <BLANKLINE>
    容留他人吸毒怎么判？
    >>> with_provisions("你好", [])
    '你好'
"""

from __future__ import annotations

from dataclasses import dataclass

from lawbench.rag.index import Hit

BLOCK = "【相关法条】\n{provisions}\n\n{question}"


def format_provisions(hits: list[Hit]) -> str:
    """``【id】text`` lines, the layout of LawShift's article lists."""
    return "\n".join(f"【{hit.id}】{hit.text}" for hit in hits)


def with_provisions(question: str, hits: list[Hit]) -> str:
    """``question`` preceded by the retrieved provisions (unchanged when there are none)."""
    return BLOCK.format(provisions=format_provisions(hits), question=question) if hits else question


def describe_hits(hits: list[Hit]) -> str:
    """One line naming the provisions used, for chat.

    >>> describe_hits([Hit("354-0-0", "…", 3.21, "a.json", superseded=True)])
    'provisions: 354-0-0 (3.21, changed text)'
    >>> describe_hits([])
    'provisions: none above the minimum score'
    """
    if not hits:
        return "provisions: none above the minimum score"
    return "provisions: " + ", ".join(
        f"{h.id} ({h.score:.3g}{', changed text' if h.superseded else ''})" for h in hits)


@dataclass
class CaseContext:
    """What retrieval found for one case: the ids in rank order, and the texts to show (old and in force)."""

    ids: list[str]
    in_force: dict[str, str]  # after supersession
    indexed: dict[str, str]  # as the index holds them (the ``both`` prompt's "before the change")


def retrieve_for_cases(index_dir: str, k: int, facts: list[str], superseding: dict[str, str] | None = None,
                       retriever: str | None = None) -> list[CaseContext]:
    """Top-``k`` provisions per case fact; ``superseding`` provisions replace indexed texts with the same id."""
    from lawbench.rag.index import open_index_cached

    index = open_index_cached(index_dir)
    out = []
    for hits in index.search_many(facts, k=k, retriever=retriever):
        indexed = {hit.id: hit.text for hit in hits}
        in_force = {pid: (superseding or {}).get(pid, text) for pid, text in indexed.items()}
        out.append(CaseContext([hit.id for hit in hits], in_force, indexed))
    return out


def questions_with_provisions(docs: list[dict], index_dir: str, k: int, field: str = "prompt") -> list[dict]:
    """Q&A docs whose ``field`` is prefixed with the top-``k`` provisions retrieved for it (``lawbench eval --rag``
    on legal_qa); each doc records the ids as ``retrieved_articles``."""
    from lawbench.rag.index import open_index_cached

    found = open_index_cached(index_dir).search_many([doc[field] for doc in docs], k=int(k))
    return [{**doc, field: with_provisions(doc[field], hits), "retrieved_articles": [h.id for h in hits]}
            for doc, hits in zip(docs, found)]

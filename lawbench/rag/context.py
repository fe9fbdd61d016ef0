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


class ProvisionRetriever:
    """Retrieval for chat and generate: the top-``k`` provisions scoring at least ``min_score`` go before a
    question; below the threshold nothing is added (``--rag DIR --rag-k K --rag-min-score S``).

    ``min_score`` compares with the ranking's score: BM25 (unbounded, ~5-15 for a close match on the
    LawShift articles), cosine similarity (``--rag-retriever dense``, -1..1) or RRF (hybrid, at most 2/61).
    """

    def __init__(self, index_dir: str, k: int = 5, min_score: float | None = None, retriever: str | None = None):
        from lawbench.rag.index import open_index

        self.index = open_index(index_dir)
        self.k, self.min_score, self.retriever = k, min_score, retriever
        self.index.search("法", k=k, retriever=retriever)  # checks k and the retriever now, not at the first question

    def augment(self, question: str) -> tuple[str, list[Hit]]:
        """``question`` with the provisions found for it, and those provisions."""
        hits = self.index.search(question, k=self.k, retriever=self.retriever, min_score=self.min_score)
        return with_provisions(question, hits), hits

    def augment_request(self, request: str | list[dict]) -> tuple[str | list[dict], list[Hit]]:
        """A text prompt, or a chat whose last user message gets the provisions found for it."""
        if isinstance(request, str):
            return self.augment(request)
        last = max((i for i, m in enumerate(request) if m["role"] == "user"), default=None)
        if last is None:
            return request, []
        content, hits = self.augment(request[last]["content"])
        return [*request[:last], {**request[last], "content": content}, *request[last + 1:]], hits

"""Retrieval over statutes: a persistent index that eval, chat and generate search (``--rag DIR``).

    lawbench rag index --corpus ../shared/data/lawshift/articles.json --out statutes [--embedding-model M]
    lawbench rag query statutes "容留他人吸食毒品" -k 5 --json
    lawbench eval --model M --tasks lawshift --rag statutes --rag-k 5     # adds retrieval_recall

Modules: :mod:`.corpus` (corpus readers, chunks), :mod:`.bm25` (bm25s over jieba words),
:mod:`.dense` (sentence-transformers + LanceDB), :mod:`.fusion` (reciprocal-rank fusion),
:mod:`.index` (build / open / search, content hashes, manifest), :mod:`.context` (provisions in
prompts, LawShift supersession), :mod:`.cli` (the subcommands). Heavy libraries (bm25s, jieba,
lancedb, sentence-transformers) are imported when an index is built or opened, not here.
"""

from lawbench.rag.context import format_provisions, retrieve_for_cases, with_provisions
from lawbench.rag.corpus import Chunk, Provision, chunk_provisions, read_corpus
from lawbench.rag.fusion import rrf
from lawbench.rag.index import Hit, StatuteIndex, build_index, open_index, open_index_cached

__all__ = [
    "Chunk",
    "Hit",
    "Provision",
    "StatuteIndex",
    "build_index",
    "chunk_provisions",
    "format_provisions",
    "open_index",
    "open_index_cached",
    "read_corpus",
    "retrieve_for_cases",
    "rrf",
    "with_provisions",
]

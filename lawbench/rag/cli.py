"""``lawbench rag index`` and ``lawbench rag query`` (the parser imports nothing heavy).

    lawbench rag index --corpus ../shared/data/lawshift/articles.json --out statutes
    lawbench rag query statutes "容留他人吸食毒品" -k 3 --json
"""

from __future__ import annotations

import json


def add_rag_parser(sub) -> None:
    p = sub.add_parser("rag", help="statute index for retrieval (index: build it; query: search it)",
                       description="Build a persistent statute index (BM25 over jieba words always; dense "
                       "sentence-transformers vectors in LanceDB with --embedding-model) and search it. "
                       "eval, chat and generate use it with --rag DIR.")
    rsub = p.add_subparsers(dest="rag_command", required=True, metavar="{index,query}")
    i = rsub.add_parser("index", help="build or update an index from corpus files",
                        description="Read statute corpora (LawShift articles*.json {id: text}, lawgpt_zh "
                        "core_law_articles_9k.json [category, law, text], JSON Lines {id, text}, .txt paragraphs) "
                        "into DIR. Unchanged files (same sha256) are not parsed or embedded again.")
    i.add_argument("--corpus", nargs="+", required=True, metavar="FILE", help="corpus files")
    i.add_argument("--out", required=True, metavar="DIR", help="index folder (new, empty, or an existing index)")
    i.add_argument("--embedding-model", metavar="M",
                   help="sentence-transformers model (hub id or folder) for dense retrieval (default: BM25 only)")
    i.add_argument("--chunk-chars", type=int, default=0, metavar="N",
                   help="cut provisions longer than N characters into chunks that keep the provision id "
                   "(default: 0, whole provisions)")
    i.add_argument("--json", action="store_true", help="print the build summary as one JSON line")
    i.set_defaults(func=cmd_rag_index)
    q = rsub.add_parser("query", help="search an index: ids, scores, texts",
                        description="Search DIR for TEXT and print the top provisions (id, score, text).")
    q.add_argument("dir", metavar="DIR", help="index folder")
    q.add_argument("text", metavar="TEXT", help="query text (a question or a case fact)")
    q.add_argument("-k", type=int, default=5, help="provisions to return (default: 5)")
    q.add_argument("--retriever", choices=("bm25", "dense", "hybrid"),
                   help="ranking (default: hybrid when the index has vectors, else bm25)")
    q.add_argument("--embedding-model", metavar="M",
                   help="check that the index was built with this model (default: the one it was built with)")
    q.add_argument("--json", action="store_true", help="print {\"hits\": [...]} as one JSON line")
    q.set_defaults(func=cmd_rag_query)


def cmd_rag_index(args) -> int:
    from lawbench.rag.index import build_index

    summary = build_index(args.corpus, args.out, embedding_model=args.embedding_model, chunk_chars=args.chunk_chars)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
        return 0
    state = "unchanged" if summary["unchanged"] else "written"
    print(f"{args.out}: index {state}: {summary['provisions']} provisions in {summary['chunks']} chunks from "
          f"{len(summary['files'])} file(s) ({', '.join(summary['retrievers'])}; digest {summary['digest'][:12]})"
          + (f"; reused unchanged: {', '.join(summary['reused'])}" if summary["reused"] else ""))
    return 0


def cmd_rag_query(args) -> int:
    from lawbench.rag.index import open_index

    index = open_index(args.dir, embedding_model=args.embedding_model)
    hits = index.search(args.text, k=args.k, retriever=args.retriever)
    if args.json:
        print(json.dumps({"retriever": args.retriever or index.retriever, "hits": [h.to_dict() for h in hits]},
                         ensure_ascii=False))
        return 0
    if not hits:
        print("no provision matches")
    for rank, hit in enumerate(hits, start=1):
        print(f"{rank}. [{hit.id}] score {hit.score:.4g}  ({hit.source})\n   {hit.text}")
    return 0

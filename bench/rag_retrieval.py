"""Statute retrieval: index build time and size, query latency and recall@1/5/10 per retriever, in one run.

    python bench/rag_retrieval.py [--data-dir ../shared/data] [--queries 400]

Corpora: lawgpt_zh's 9,671 ``core_law_articles_9k.json`` chunks (103 laws) and LawShift's 891 Criminal Law
provisions (``lawshift/articles.json``). Queries: the case facts of the LawShift scenarios in the data dir
(original and poisoned sides), each with its gold article ids. On the LawShift index a hit counts when its
id is a gold id; lawgpt_zh has no paragraph ids, so there a gold id ``354-0-0`` counts as found when the
Criminal Law's article 354 (``刑法 第三百五十四条``) is retrieved.

Retrievers: ``bm25`` (bm25s over jieba words), ``dense`` and ``hybrid`` (RRF of both). No real embedding
model can be downloaded here: dense uses the tiny random BERT of :mod:`lawbench.tiny.embedder`, so its
recall is that of random vectors (a floor, not a measurement of dense retrieval) and its timings are those
of a 2-layer, 32-wide model. Writes bench/results/rag_retrieval.json with ``os.getloadavg()``: the machine
is shared, so timings vary with its load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lawbench.metrics.retrieval import recall_at_k  # noqa: E402
from lawbench.rag import build_index, open_index, read_corpus  # noqa: E402

OUT = Path(__file__).parent / "results" / "rag_retrieval.json"
KS = (1, 5, 10)


def lawshift_queries(data_dir: Path, limit: int) -> list[tuple[str, list[str]]]:
    """(fact, gold ids) of every distinct case fact in the local LawShift scenarios."""
    seen, queries = set(), []
    for folder in sorted(p for p in (data_dir / "lawshift").iterdir() if (p / "original.json").is_file()):
        for side in ("original", "poisoned"):
            for record in json.loads((folder / f"{side}.json").read_text(encoding="utf-8")):
                if record["fact"] not in seen:
                    seen.add(record["fact"])
                    queries.append((record["fact"], record["relevant_articles"]))
    return queries[:limit]


def lawgpt_article(gold_id: str) -> str:
    """``354-0-0`` → ``刑法 第三百五十四条`` (the provision id the lawgpt_zh reader gives that article)."""
    import cn2an

    return f"刑法 第{cn2an.an2cn(int(gold_id.split('-')[0]))}条"


def measure(index, queries, retriever: str, gold_map) -> dict:
    latencies, recalls = [], {k: [] for k in KS}
    for fact, gold in queries:
        start = time.perf_counter()
        hits = index.search(fact, k=max(KS), retriever=retriever)
        latencies.append(time.perf_counter() - start)
        ranked = [h.id for h in hits]
        for k in KS:
            recalls[k].append(recall_at_k([gold_map(g) for g in gold], ranked, k))
    ordered = sorted(latencies)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2),
            **{f"recall@{k}": round(sum(v) / len(v), 4) for k, v in recalls.items()}}


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--queries", type=int, default=400, help="LawShift case facts used as queries")
    args = parser.parse_args()
    data_dir = Path(args.data_dir)
    import torch

    # One compute thread: on this shared 2-core machine two torch threads made embedding 9x slower (spinning
    # against the other processes); the figures are single-threaded on purpose.
    torch.set_num_threads(1)
    corpora = {"lawgpt_zh": (data_dir / "lawgpt_zh" / "core_law_articles_9k.json", lawgpt_article),
               "lawshift_articles": (data_dir / "lawshift" / "articles.json", lambda g: g)}
    queries = lawshift_queries(data_dir, args.queries)
    from lawbench.tiny.embedder import init_tiny_embedder

    results = {"loadavg_start": os.getloadavg(), "queries": len(queries), "ks": list(KS), "corpora": {},
               "torch_threads": 1,
               "embedding_model": "tiny random BERT (lawbench.tiny.embedder): dense recall is meaningless"}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (path, gold_map) in corpora.items():
            model = init_tiny_embedder(Path(tmp) / f"emb-{name}", [p.text for p in read_corpus(path)])
            entry: dict = {}
            for label, embedding in (("bm25 only", None), ("bm25 + dense", str(model))):
                out = Path(tmp) / f"{name}-{label.replace(' ', '')}"
                start = time.perf_counter()
                summary = build_index([path], out, embedding_model=embedding, progress=False)
                entry[f"index ({label})"] = {"seconds": round(time.perf_counter() - start, 2),
                                             "bytes_on_disk": folder_bytes(out), "chunks": summary["chunks"],
                                             "provisions": summary["provisions"]}
                start = time.perf_counter()
                build_index([path], out, embedding_model=embedding, progress=False)
                entry[f"index ({label})"]["unchanged_rebuild_seconds"] = round(time.perf_counter() - start, 3)
            index = open_index(Path(tmp) / f"{name}-bm25+dense")
            for retriever in ("bm25", "dense", "hybrid"):
                entry[retriever] = measure(index, queries, retriever, gold_map)
            results["corpora"][name] = entry
    results["loadavg_end"] = os.getloadavg()
    for name, entry in results["corpora"].items():
        print(f"\n{name}")
        for label in ("index (bm25 only)", "index (bm25 + dense)"):
            row = entry[label]
            print(f"  {label:22s} {row['seconds']:8.2f} s  {row['bytes_on_disk'] / 1e6:7.2f} MB  "
                  f"{row['provisions']} provisions / {row['chunks']} chunks; unchanged rebuild "
                  f"{row['unchanged_rebuild_seconds']} s")
        print(f"  {'retriever':10s} {'p50 ms':>8s} {'p95 ms':>8s} " + " ".join(f"{'R@' + str(k):>7s}" for k in KS))
        for retriever in ("bm25", "dense", "hybrid"):
            row = entry[retriever]
            print(f"  {retriever:10s} {row['p50_ms']:8.2f} {row['p95_ms']:8.2f} "
                  + " ".join(f"{row[f'recall@{k}']:7.3f}" for k in KS))
    print(f"\n{len(queries)} queries; load average {results['loadavg_start']} -> {results['loadavg_end']}; "
          "dense = tiny random embedder (no meaning)")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

"""Build, reopen and search a persistent statute index (``lawbench rag index`` / ``rag query``).

Layout of an index folder ``DIR``::

    DIR/index.json            the manifest, written last (atomically): files and their sha256, sizes,
                              retrievers, embedding model, digest, and the data folder in use
    DIR/data-<digest>/chunks.jsonl   one {"id", "text", "source", "file_sha", "local"} per chunk
    DIR/data-<digest>/bm25/          the bm25s index over jieba words (always)
    DIR/data-<digest>/dense/         the LanceDB table of sentence-transformers vectors (--embedding-model)

A build writes a new data folder, then points ``index.json`` at it and removes the old one: a reader
never sees a half-built index, and an interrupted build leaves the previous index in place. Files whose
content hash is unchanged are not parsed or embedded again (their chunks and vectors are copied from
the previous data folder); BM25 is rebuilt over all chunks, which takes a second for 9k articles.

Example:
    >>> import json, tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (tmp / "articles.json").write_text(json.dumps({"264-0-0": "【盗窃罪】盗窃公私财物，数额较大的……",
    ...     "354-0-0": "【容留他人吸毒罪】容留他人吸食、注射毒品的……"}, ensure_ascii=False), "utf-8")
    >>> summary = build_index([tmp / "articles.json"], tmp / "index", progress=False)
    >>> index = open_index(tmp / "index")
    >>> [hit.id for hit in index.search("被告人容留他人吸毒", k=1)], index.size, index.retriever
    (['354-0-0'], 2, 'bm25')
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import shutil
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from lawbench import __version__
from lawbench.errors import DataError, LawbenchError
from lawbench.rag.corpus import Chunk, chunk_provisions, read_corpus
from lawbench.rag.fusion import rrf
from lawbench.utils.io import atomic_write_json, atomic_write_text, read_json_strict, sha256_file, sha256_text

log = logging.getLogger(__name__)

FORMAT = "lawbench-rag/1"
MANIFEST = "index.json"
RETRIEVERS = ("bm25", "dense", "hybrid")
DEPTH = 50  # chunks each retriever ranks before provisions are deduplicated and fused (>= k)


@dataclass
class Hit:
    """One retrieved provision: its id, the text shown (the best chunk, or the provision in force) and scores."""

    id: str
    text: str
    score: float  # the ranking's score: BM25, cosine similarity, or the fused RRF score
    source: str
    scores: dict[str, float] = field(default_factory=dict)  # each retriever's own score, where it found the id
    superseded: bool = False  # the text was replaced by a changed provision with the same id

    def to_dict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------- build
def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise LawbenchError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and not (out / MANIFEST).is_file():
        strays = [p.name for p in out.iterdir() if not p.name.startswith((".lawbench.lock", "data-"))]
        if strays:
            raise LawbenchError(f"--out {out}: the folder holds other files ({strays[0]}, ...) and no {MANIFEST}; "
                                "give a new or empty folder, or an existing statute index")


def _previous(out: Path, embedding: dict | None) -> dict | None:
    """The manifest of an index already in ``out`` (checked against the embedding model asked for)."""
    from lawbench.rag.dense import same_model

    if not (out / MANIFEST).is_file():
        return None
    try:
        old = read_manifest(out)
    except DataError as err:  # an index of another format (or a damaged manifest): rebuilt from scratch
        log.warning("%s; building a new index over it", err)
        return None
    recorded = old.get("embedding_model")
    if recorded and embedding and not same_model(recorded, embedding):
        raise LawbenchError(f"{out}: the index was built with embedding model '{recorded['name']}', not "
                            f"'{embedding['name']}'; write the new index to another --out or delete this one")
    return old


def _reusable_chunks(out: Path, old: dict | None, chunk_chars: int) -> dict[str, list[Chunk]]:
    """``{file sha256: chunks}`` of the previous index, when it cut texts the same way."""
    if not old or old.get("chunk_chars") != chunk_chars or not (out / old["data"] / "chunks.jsonl").is_file():
        return {}
    reuse: dict[str, list[Chunk]] = {}
    for row in _read_chunks(out / old["data"]):
        reuse.setdefault(row["file_sha"], []).append(Chunk(row["id"], row["text"], row["source"]))
    return reuse


def build_index(corpus: list[str | Path], out: str | Path, embedding_model: str | None = None,
                chunk_chars: int = 0, progress: bool = True) -> dict:
    """Index the corpus files into ``out`` (see the module docstring); returns a summary of the build."""
    from lawbench.utils.lock import folder_lock

    if not corpus:
        raise LawbenchError("give at least one --corpus file")
    out = Path(out)
    _check_out(out)
    paths = [Path(p) for p in corpus]
    for path in paths:
        if not path.is_file():
            raise DataError(f"{path}: corpus file not found")
    with folder_lock(out, "statute index"):
        from lawbench.rag.dense import model_identity

        asked = model_identity(embedding_model) if embedding_model else None
        old = _previous(out, asked)  # a different model than the index's fails before anything loads
        if old and asked is None and old.get("embedding_model"):
            asked = old["embedding_model"]  # rebuilding without the flag keeps the dense retriever
        embedder = _embedder(asked["name"]) if asked else None
        embedding = {**asked, "dim": embedder.dim} if embedder else None
        reuse = _reusable_chunks(out, old, chunk_chars)
        files, chunks, shas, locals_, reused = [], [], [], [], []
        for path in paths:
            sha = sha256_file(path)
            if any(f["sha256"] == sha for f in files):
                log.warning("%s: same content as an earlier --corpus file; skipped", path)
                continue
            if sha in reuse:
                file_chunks = reuse[sha]
                reused.append(path.name)
            else:
                file_chunks = chunk_provisions(read_corpus(path), chunk_chars)
            files.append({"name": path.name, "sha256": sha, "provisions": len({c.id for c in file_chunks}),
                          "chunks": len(file_chunks)})
            chunks += file_chunks
            shas += [sha] * len(file_chunks)
            locals_ += range(len(file_chunks))
        digest = _digest(files, chunk_chars, embedding)
        if old and old.get("digest") == digest and (out / old["data"]).is_dir():
            return {**_summary(old), "unchanged": True, "reused": [f["name"] for f in files]}
        data = f"data-{digest[:16]}"
        staging = out / data
        shutil.rmtree(staging, ignore_errors=True)  # the leftover of an interrupted build
        staging.mkdir(parents=True)
        _write_chunks(staging, chunks, shas, locals_)
        from lawbench.rag import bm25

        bm25.build([c.text for c in chunks], staging / "bm25")
        if embedder is not None:
            _write_dense(staging, out / old["data"] if old else None, embedder, chunks, shas, locals_, progress)
        manifest = {
            "format": FORMAT, "digest": digest, "data": data,
            "retrievers": ["bm25", "dense"] if embedding else ["bm25"],
            "tokenizer": "jieba", "chunk_chars": chunk_chars, "embedding_model": embedding,
            "files": files, "chunks": len(chunks), "provisions": len({c.id for c in chunks}),
            "lawbench_version": __version__,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        }
        atomic_write_json(out / MANIFEST, manifest)
        for stale in out.glob("data-*"):
            if stale.name != data:
                shutil.rmtree(stale, ignore_errors=True)
    return {**_summary(manifest), "unchanged": False, "reused": reused}


def _digest(files: list[dict], chunk_chars: int, embedding: dict | None) -> str:
    parts = [FORMAT, str(chunk_chars), *(f["sha256"] for f in files)]
    if embedding:
        parts.append(embedding.get("fingerprint") or embedding["name"])
    return sha256_text("|".join(parts))


def _write_chunks(folder: Path, chunks: list[Chunk], shas: list[str], locals_: list[int]) -> None:
    lines = (json.dumps({"id": c.id, "text": c.text, "source": c.source, "file_sha": s, "local": n},
                        ensure_ascii=False) for c, s, n in zip(chunks, shas, locals_))
    atomic_write_text(folder / "chunks.jsonl", "".join(line + "\n" for line in lines))


def _read_chunks(folder: Path) -> list[dict]:
    path = folder / "chunks.jsonl"
    if not path.is_file():
        raise DataError(f"{path}: missing; the index is damaged, build it again with lawbench rag index")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _write_dense(staging: Path, old_data: Path | None, embedder, chunks, shas, locals_, progress: bool) -> None:
    import numpy as np

    from lawbench.rag import dense

    old = dense.read_vectors(old_data / "dense") if old_data and (old_data / "dense").is_dir() else {}
    vectors = np.zeros((len(chunks), embedder.dim), dtype="float32")
    todo = [i for i, key in enumerate(zip(shas, locals_)) if key not in old]
    for i, key in enumerate(zip(shas, locals_)):
        if key in old:
            vectors[i] = old[key]
    if todo:
        vectors[todo] = embedder.encode([chunks[i].text for i in todo], progress=progress)
    dense.write_table(staging / "dense", list(range(len(chunks))), shas, list(locals_), vectors)


@lru_cache(maxsize=4)
def _embedder(name: str):
    from lawbench.rag.dense import Embedder

    return Embedder(name)


def _summary(manifest: dict) -> dict:
    model = manifest.get("embedding_model")
    return {"digest": manifest["digest"], "chunks": manifest["chunks"], "provisions": manifest["provisions"],
            "files": [f["name"] for f in manifest["files"]], "retrievers": manifest["retrievers"],
            "embedding_model": Path(model["name"]).name if model else None}


# --------------------------------------------------------------------------- open and search
def read_manifest(folder: str | Path) -> dict:
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such index folder; build one with lawbench rag index --corpus FILE --out "
                        f"{folder}")
    path = folder / MANIFEST
    if not path.is_file():
        raise DataError(f"{folder}: not a statute index ({MANIFEST} missing); build one with lawbench rag index")
    manifest = read_json_strict(path)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise DataError(f"{path}: not a {FORMAT} index manifest; build the index again with this lawbench")
    return manifest


class StatuteIndex:
    """An index folder opened for search (see :func:`open_index`)."""

    def __init__(self, folder: Path, manifest: dict, embedder=None):
        from lawbench.rag.bm25 import BM25Searcher

        self.folder, self.manifest = folder, manifest
        data = folder / manifest["data"]
        self.chunks = _read_chunks(data)
        self.bm25 = BM25Searcher(data / "bm25")
        self.dense = None
        if embedder is not None:
            from lawbench.rag.dense import DenseSearcher

            self.dense = DenseSearcher(data / "dense", embedder)

    @property
    def digest(self) -> str:
        return self.manifest["digest"]

    @property
    def size(self) -> int:
        """Provisions (distinct ids) in the index."""
        return int(self.manifest["provisions"])

    @property
    def retriever(self) -> str:
        """The default ranking: ``hybrid`` (BM25 + dense, fused) when vectors exist, else ``bm25``."""
        return "hybrid" if self.dense is not None else "bm25"

    def describe(self, retriever: str | None = None, k: int | None = None) -> dict:
        """What a run records about the index: digest, size, retriever, k, embedding model (its name only)."""
        model = self.manifest.get("embedding_model")
        return {"digest": self.digest, "provisions": self.size, "chunks": self.manifest["chunks"],
                "files": [{"name": f["name"], "sha256": f["sha256"]} for f in self.manifest["files"]],
                "retriever": retriever or self.retriever, "k": k,
                "embedding_model": Path(model["name"]).name if model else None}

    def _rankings(self, queries: list[str], retriever: str) -> list[list[tuple[str, float, int]]]:
        """Per query, per retriever asked: provision ids ranked, each with its score and best chunk."""
        searchers = {"bm25": [self.bm25], "dense": [self.dense], "hybrid": [self.bm25, self.dense]}[retriever]
        out = []
        for searcher in searchers:
            per_query = []
            for found in searcher.search(queries, DEPTH):
                seen: dict[str, tuple[str, float, int]] = {}
                for row, score in found:
                    seen.setdefault(self.chunks[row]["id"], (self.chunks[row]["id"], score, row))
                per_query.append(list(seen.values()))
            out.append(per_query)
        return out

    def search_many(self, queries: list[str], k: int = 5, retriever: str | None = None,
                    overrides: dict[str, str] | None = None, min_score: float | None = None) -> list[list[Hit]]:
        """The top ``k`` provisions for each query.

        ``overrides`` (``{id: text}``) supersede the indexed text of those ids (the law in force, e.g. a
        LawShift scenario's changed provisions); ``min_score`` drops hits scoring below it.
        """
        retriever = self._check(retriever, k)
        names = ["bm25", "dense"] if retriever == "hybrid" else [retriever]
        rankings = self._rankings(queries, retriever)
        results = []
        for q in range(len(queries)):
            lists = [ranking[q] for ranking in rankings]
            if retriever == "hybrid":
                fused = rrf([[entry[0] for entry in ranked] for ranked in lists])
            else:
                fused = [(entry[0], entry[1]) for entry in lists[0]]
            best = {}  # id -> (chunk row, {retriever: score}); the first retriever's best chunk is shown
            for name, ranked in zip(names, lists):
                for pid, score, row in ranked:
                    best.setdefault(pid, [row, {}])[1][name] = score
            hits = []
            for pid, score in fused[:k]:
                if min_score is not None and score < min_score:
                    continue
                row, scores = best[pid]
                chunk = self.chunks[row]
                text, superseded = chunk["text"], False
                if overrides and pid in overrides:
                    text, superseded = overrides[pid], overrides[pid] != chunk["text"]
                hits.append(Hit(pid, text, score, chunk["source"], scores, superseded))
            results.append(hits)
        return results

    def search(self, query: str, k: int = 5, retriever: str | None = None,
               overrides: dict[str, str] | None = None, min_score: float | None = None) -> list[Hit]:
        """The top ``k`` provisions for one query (see :meth:`search_many`)."""
        return self.search_many([query], k, retriever, overrides, min_score)[0]

    def _check(self, retriever: str | None, k: int) -> str:
        retriever = retriever or self.retriever
        if retriever not in RETRIEVERS:
            raise LawbenchError(f"unknown retriever '{retriever}'; choose from {', '.join(RETRIEVERS)}")
        if retriever != "bm25" and self.dense is None:
            raise LawbenchError(f"{self.folder}: the index has no dense vectors (built without --embedding-model); "
                                "use the bm25 retriever or rebuild with --embedding-model")
        if not 1 <= k <= DEPTH:
            raise LawbenchError(f"k must be between 1 and {DEPTH}, got {k}")
        return retriever


def open_index(folder: str | Path, embedding_model: str | None = None) -> StatuteIndex:
    """Open an index folder; ``embedding_model`` (optional) must be the one the index was built with."""
    from lawbench.rag.dense import model_identity, same_model

    folder = Path(folder)
    manifest = read_manifest(folder)
    recorded = manifest.get("embedding_model")
    if embedding_model:
        if not recorded:
            raise LawbenchError(f"{folder}: the index was built without an embedding model; rebuild it with "
                                f"--embedding-model {embedding_model} to search it densely")
        if not same_model(recorded, model_identity(embedding_model)):
            raise LawbenchError(f"{folder}: the index was built with embedding model '{recorded['name']}', not "
                                f"'{embedding_model}'; query it with that model or rebuild the index")
    embedder = _embedder(embedding_model or recorded["name"]) if recorded else None
    return StatuteIndex(folder, manifest, embedder)


@lru_cache(maxsize=4)
def _open_cached(folder: str, digest: str) -> StatuteIndex:
    return open_index(folder)


def open_index_cached(folder: str | Path) -> StatuteIndex:
    """:func:`open_index`, once per process and index version (every LawShift subtask shares it)."""
    resolved = Path(folder).resolve()
    return _open_cached(str(resolved), read_manifest(resolved)["digest"])

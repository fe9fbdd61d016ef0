"""Dense retrieval: sentence-transformers embeddings in an embedded LanceDB table, cosine similarity.

LanceDB rather than chromadb (the seed's store): both keep a persistent collection in a folder and
search it by cosine distance, but LanceDB installs as one wheel on the pyarrow this project already
has, while chromadb pulls ~40 packages (onnxruntime, kubernetes, opentelemetry, a web server) and
wants to download its own default embedding model. See docs/rag.md.

The table ``chunks`` holds one row per chunk: ``row`` (the chunk's number in ``chunks.jsonl``),
``file_sha`` and ``local`` (the corpus file's content hash and the chunk's place in it, so that an
unchanged file's vectors are reused when the index is rebuilt) and ``vector`` (unit length).
"""

from __future__ import annotations

import os
from pathlib import Path

from lawbench.errors import LawbenchError, first_line

TABLE = "chunks"
os.environ.setdefault("LANCE_LOG", "error")  # lance's Rust logger warns on every new table otherwise


def model_identity(name: str) -> dict:
    """What identifies an embedding model: the name as given and, for a local folder, its weights' fingerprint."""
    from lawbench.models.fingerprint import model_fingerprint

    return {"name": name, "fingerprint": model_fingerprint(name)["fingerprint"] if Path(name).is_dir() else None}


def same_model(recorded: dict, asked: dict) -> bool:
    """The same weights: equal fingerprints when both are local folders, else equal names.

    >>> same_model({"name": "a", "fingerprint": "f1"}, {"name": "b", "fingerprint": "f1"})
    True
    >>> same_model({"name": "bge-small", "fingerprint": None}, {"name": "bge-base", "fingerprint": None})
    False
    """
    if recorded.get("fingerprint") and asked.get("fingerprint"):
        return recorded["fingerprint"] == asked["fingerprint"]
    return recorded.get("name") == asked.get("name")


class Embedder:
    """A sentence-transformers model that turns texts into unit vectors."""

    def __init__(self, name: str):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise LawbenchError("dense retrieval needs sentence-transformers: pip install sentence-transformers") \
                from None
        try:
            # trust_remote_code stays off: an embedding model is data, not code to run
            self.model = SentenceTransformer(name, trust_remote_code=False)
        except (OSError, ValueError) as err:
            raise LawbenchError(f"cannot load embedding model '{name}': {first_line(err, 200)}") from None
        self.name = name
        dimension = getattr(self.model, "get_embedding_dimension", None) or \
            self.model.get_sentence_embedding_dimension  # renamed in sentence-transformers 6
        self.dim = int(dimension() or 0)

    def encode(self, texts: list[str], progress: bool = False):
        """float32 unit vectors, one row per text."""
        return self.model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True,
                                 show_progress_bar=progress).astype("float32")


def write_table(folder: Path, rows: list[int], file_shas: list[str], locals_: list[int], vectors) -> None:
    """Create the LanceDB table under ``folder`` (a new folder: the index is built in a staging copy)."""
    import lancedb
    import pyarrow as pa

    dim = int(vectors.shape[1])
    table = pa.table({
        "row": pa.array(rows, pa.int32()),
        "file_sha": pa.array(file_shas, pa.string()),
        "local": pa.array(locals_, pa.int32()),
        "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1), pa.float32()), dim),
    })
    lancedb.connect(str(folder)).create_table(TABLE, table)


def read_vectors(folder: Path) -> dict[tuple[str, int], list[float]]:
    """``{(file_sha, local): vector}`` of an existing table (for reuse by an index rebuild)."""
    import lancedb

    table = lancedb.connect(str(folder)).open_table(TABLE).to_arrow()
    shas, locals_ = table.column("file_sha").to_pylist(), table.column("local").to_pylist()
    return dict(zip(zip(shas, locals_), table.column("vector").to_pylist()))


class DenseSearcher:
    """The LanceDB table of an index and its embedding model; :meth:`search` ranks chunk numbers."""

    def __init__(self, folder: Path, embedder: Embedder):
        import lancedb

        self.table = lancedb.connect(str(folder)).open_table(TABLE)
        self.embedder = embedder

    def search(self, queries: list[str], k: int) -> list[list[tuple[int, float]]]:
        """Top ``k`` (chunk number, cosine similarity) per query, best first."""
        found = []
        for vector in self.embedder.encode(queries):
            hits = (self.table.search(vector).distance_type("cosine").limit(k)
                    .select(["row", "_distance"]).to_list())
            found.append([(int(h["row"]), 1.0 - float(h["_distance"])) for h in hits])
        return found

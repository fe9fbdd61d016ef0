"""Fixtures of the retrieval tests: a BM25 index over the real LawShift articles (built once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def lawshift_index(shared_data, tmp_path_factory) -> Path:
    from lawbench.rag import build_index

    out = tmp_path_factory.mktemp("rag") / "statutes"
    build_index([shared_data / "lawshift" / "articles.json"], out, progress=False)
    return out

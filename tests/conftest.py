"""Shared fixtures: offline mode, a tiny model, synthetic LawShift data, the real data in ../shared."""

from __future__ import annotations

import os

# Tests never reach a hub: everything they load is built locally or read from ../shared/data.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.pop("LAWBENCH_DATA_DIR", None)
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Several workers share the cores (pytest -n N): one compute thread each, in this process and in the
    # lawbench processes the tests start, instead of every worker's torch claiming every core.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("LAWBENCH_CPU_THREADS", "1")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tests.support import SHARED_DATA  # noqa: E402
from tests.support.sources import write_lawshift  # noqa: E402


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real datasets beside the repository (skipped with a reason when absent)."""
    if not (SHARED_DATA / "lawshift").is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (it sits beside the repo in the dev setup)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A very small random Qwen2-style model (fast to load and to generate with)."""
    from lawbench.tiny.model import TinyModelConfig, init_tiny_model

    out = tmp_path_factory.mktemp("models") / "tiny"
    config = TinyModelConfig(vocab_size=2000, hidden_size=64, intermediate_size=176, num_hidden_layers=2,
                             num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096)
    return init_tiny_model(out, config)


@pytest.fixture()
def lawshift_dir(tmp_path) -> Path:
    """A data dir with three synthetic scenarios (V, NV, TU) the code has never seen."""
    write_lawshift(tmp_path, {"subject_explicit_extend": 4, "object_explicit_reduce": 4, "term_up": 3})
    return tmp_path

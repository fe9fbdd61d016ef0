"""Offline by default: an unreachable hub is detected once and the run continues offline at once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from lawbench.utils import offline


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_reachable_only_when_something_listens():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert offline.hub_reachable(f"http://127.0.0.1:{server.getsockname()[1]}")
    assert not offline.hub_reachable(f"http://127.0.0.1:{_closed_port()}")


@pytest.fixture()
def hub_env(monkeypatch):
    for name in (*offline.OFFLINE_VARIABLES, "LAWBENCH_HUB_CHECK", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    offline.go_offline_if_unreachable.cache_clear()
    yield monkeypatch
    offline.go_offline_if_unreachable.cache_clear()


def test_unreachable_hub_switches_offline_once(hub_env, capsys):
    hub_env.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    assert offline.go_offline_if_unreachable() is True
    assert os.environ["HF_HUB_OFFLINE"] == os.environ["HF_DATASETS_OFFLINE"] == "1"
    assert offline.go_offline_if_unreachable() is True  # cached: no second probe, no second line
    assert capsys.readouterr().err.count("unreachable; working offline") == 1


def test_a_users_setting_is_respected(hub_env):
    hub_env.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    hub_env.setenv("HF_HUB_OFFLINE", "0")
    assert offline.go_offline_if_unreachable() is False and os.environ["HF_HUB_OFFLINE"] == "0"


def test_eval_without_data_fails_fast_without_hub_offline(tmp_path, tiny_model):
    """The issue's case: no HF_HUB_OFFLINE, no network, a missing data folder: one line, no hub retries."""
    env = {k: v for k, v in os.environ.items() if k not in offline.OFFLINE_VARIABLES}
    env["HF_ENDPOINT"] = f"http://127.0.0.1:{_closed_port()}"
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "lawbench", "eval", "--model", str(tiny_model), "--tasks",
                           "lawshift", "--data-dir", str(tmp_path / "missing"), "--limit", "1", "--output-dir",
                           str(tmp_path / "runs")], capture_output=True, text=True, timeout=120, env=env)
    elapsed = time.perf_counter() - start
    assert done.returncode == 2, done.stderr
    assert "unreachable; working offline" in done.stderr and "Retrying" not in done.stderr, done.stderr
    assert "provide the folder" in done.stderr.splitlines()[-1]
    assert elapsed < 20  # hub retries alone took 24 s before; ~2.5 s on an idle machine (see bench/cli_startup.py)

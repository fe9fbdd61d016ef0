"""Re-running an interrupted `lawbench eval` reuses every completed model request."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from lawbench.evaluate import EvalConfig, latest_results, run_eval
from lawbench.models.resolve import ModelOptions


def config(model, data_dir, out, **kw) -> EvalConfig:
    return EvalConfig(model=ModelOptions(str(model)), tasks="lawshift", data_dir=str(data_dir), limit=3,
                      gen_kwargs="max_gen_toks=6", output_dir=str(out), run_name="r", **kw)


def test_ctrl_c_then_rerun_counts_model_calls(tiny_model, lawshift_dir, tmp_path, monkeypatch):
    from lm_eval.models.huggingface import HFLM

    real_generate = HFLM._model_generate
    calls = []

    def interrupted(self, *args, **kwargs):
        if len(calls) == 5:
            raise KeyboardInterrupt  # what Ctrl-C does in the middle of generation
        calls.append(1)
        return real_generate(self, *args, **kwargs)

    monkeypatch.setattr(HFLM, "_model_generate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_eval(config(tiny_model, lawshift_dir, tmp_path))
    assert latest_results(tmp_path / "r") is None  # nothing half-written: no results file at all

    counted = []

    def counting(self, context, *args, **kwargs):
        counted.append(context.shape[0])
        return real_generate(self, context, *args, **kwargs)

    monkeypatch.setattr(HFLM, "_model_generate", counting)
    run = run_eval(config(tiny_model, lawshift_dir, tmp_path))
    total = 3 * 6  # 3 examples x 3 scenarios x 2 sides
    assert sum(counted) == total - 5, "requests finished before the interruption were computed again"
    assert run.results["lawbench"]["requests"] == {"total": total, "computed": total - 5, "from_cache": 5,
                                                   "truncated": 0}

    counted.clear()
    again = run_eval(config(tiny_model, lawshift_dir, tmp_path))
    assert counted == [] and again.results["lawbench"]["requests"]["from_cache"] == total
    assert again.results["results"] == run.results["results"]  # cached answers give identical scores


def _cached_entries(db) -> int:
    if not db:
        return 0
    try:
        with sqlite3.connect(f"file:{db[0]}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("select count(*) from unnamed").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_kill_9_then_rerun_recomputes_nothing_finished(tiny_model, lawshift_dir, tmp_path):
    out = tmp_path / "runs"
    cmd = [sys.executable, "-m", "lawbench", "eval", "--model", str(tiny_model), "--data-dir", str(lawshift_dir),
           "--limit", "4", "--gen-kwargs", "max_gen_toks=48", "--output-dir", str(out), "--run-name", "k"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 240
    seen = 0
    while time.time() < deadline and proc.poll() is None:
        seen = _cached_entries(list((out / "k" / "cache").glob("*.db")) if (out / "k" / "cache").exists() else [])
        if seen >= 4:
            os.killpg(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert latest_results(out / "k") is None
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    requests = json.loads(latest_results(out / "k").read_text(encoding="utf-8"))["lawbench"]["requests"]
    assert requests["total"] == 22 and requests["from_cache"] >= seen >= 4
    assert requests["computed"] == requests["total"] - requests["from_cache"]

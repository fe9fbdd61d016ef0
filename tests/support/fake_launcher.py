"""A stand-in for ``python -m lawbench`` as a pipeline ``launcher:``: no model, no training, just the files.

``eval ... --output-dir D --run-name R`` writes ``D/R/results_<n>.json``; ``recipe NAME ... --output-dir C``
writes a finished checkpoint (``lawbench_stage.json``, ``trainer_state.json``, ``config.json``) and, with
``--then_eval true``, the stage's results under ``--eval_output_dir``. Every call is appended as one JSON
line to ``$FAKE_LAUNCHER_LOG``. With ``$FAKE_LAUNCHER_INTERRUPT=<stage>`` that stage's recipe saves
``checkpoint-2`` and ``checkpoint-10`` and then fails, as an interrupted run would.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def _value(argv: list[str], flag: str) -> str | None:
    return argv[argv.index(flag) + 1] if flag in argv else None


def _results(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"results_{time.time_ns()}.json").write_text(json.dumps({"results": {}}), encoding="utf-8")


def main(argv: list[str]) -> int:
    with open(os.environ["FAKE_LAUNCHER_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(argv) + "\n")
    if argv[0] == "eval":
        _results(Path(_value(argv, "--output-dir")) / _value(argv, "--run-name"))
        return 0
    out, stage = Path(_value(argv, "--output-dir")), _value(argv, "--stage")
    out.mkdir(parents=True, exist_ok=True)
    if os.environ.get("FAKE_LAUNCHER_INTERRUPT") == stage:
        for step in (2, 10):
            (out / f"checkpoint-{step}").mkdir(exist_ok=True)
            (out / f"checkpoint-{step}" / "trainer_state.json").write_text("{}", encoding="utf-8")
        return 1
    for name in ("trainer_state.json", "config.json"):
        (out / name).write_text("{}", encoding="utf-8")
    (out / "lawbench_stage.json").write_text(json.dumps({"stage": stage}), encoding="utf-8")
    if _value(argv, "--then_eval") == "true":
        _results(Path(_value(argv, "--eval_output_dir")) / stage)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

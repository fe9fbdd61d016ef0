"""A pipeline stage's output: warnings kept out of the stage log (in the debug log), the trainer's bar followed."""

from __future__ import annotations

import sys

from lawbench.stage_console import StreamSplitter, run_stage

CHILD = r"""
import sys, warnings
warnings.warn("`x` is deprecated", FutureWarning)
for step in range(4):
    sys.stderr.write(f"\r{step * 25:3d}%|##   | {step}/3 [00:0{step}<00:01]")
sys.stderr.write("\n{'loss': '0.75', 'reward': '0.5'}\n")
print("INFO lawbench: done")
"""


def test_stage_log_without_warnings_debug_log_with_everything(tmp_path):
    log = tmp_path / "logs" / "sft.log"
    log.parent.mkdir()
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    assert run_stage([sys.executable, str(script)], log, "training sft", show_progress=False) == 0
    kept, raw = log.read_text(encoding="utf-8"), (tmp_path / "logs" / "sft.debug.log").read_text(encoding="utf-8")
    assert "FutureWarning" in raw and "warnings.warn" in raw
    assert "Warning" not in kept and "warnings.warn" not in kept
    assert "INFO lawbench: done" in kept and " 75%|##   | 3/3" in kept and "\r" not in kept


def test_the_trainer_bar_is_followed_not_the_evaluation_bars_after_it():
    split = StreamSplitter()
    split.feed("Loading weights: 100%|###| 50/50 [00:00]\n  0%|   | 0/6 [00:00]\r 50%|#  | 3/6 [00:03]"
               "\r  0%|   | 0/2 [00:00]\x1b[A\r")
    assert (split.step, split.total, split.finished) == (3, 6, False)
    split.feed("100%|###| 6/6 [00:06]\n  0%|   | 0/8 [00:00]\r100%|###| 8/8 [00:00]\n")
    assert (split.step, split.total, split.finished) == (6, 6, True)

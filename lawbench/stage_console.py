"""A pipeline stage's output: a readable log, a raw debug log and a progress bar on the terminal.

Each pipeline stage runs as its own process (:mod:`lawbench.pipeline`). Its output is read here as it
comes and split three ways:

* ``OUT/logs/<stage>.debug.log``: everything, byte for byte (what to attach to a bug report);
* ``OUT/logs/<stage>.log``: the same without library warnings (``...py:123: FutureWarning: ...`` and the
  source line Python prints under them) and with each progress bar reduced to its last state;
* the terminal: one tqdm bar per training stage (optimizer steps, from the trainer's own bar), with the
  latest logged reward for RL stages and loss otherwise; nothing when stderr is not a terminal.

Example:
    >>> split = StreamSplitter()
    >>> kept = split.feed("  5%|5  | 1/20 [00:01<00:19]/x/torch/a.py:7: UserWarning: pin_memory\\n"
    ...                   "  super().__init__(loader)\\n{'loss': '0.5', 'reward': '0.25'}\\n")
    >>> kept
    ['  5%|5  | 1/20 [00:01<00:19]', "{'loss': '0.5', 'reward': '0.25'}"]
    >>> split.step, split.total, split.metrics
    (1, 20, {'loss': 0.5, 'reward': 0.25})
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

# "path/to/module.py:123: FutureWarning: text" as Python's warnings module prints it
WARNING = re.compile(r"[^\s\]]+\.py:\d+: \w*Warning: ")  # a path never holds "]", a bar ends with one
# The trainer's own bar: no description, "  5%|▌    | 1/20 [" (lm-eval's and datasets' bars carry one)
TRAIN_BAR = re.compile(r"^\s*\d+%\|[^|]*\|\s*(\d+)/(\d+) \[")
LOGGED = re.compile(r"'(loss|reward)': '?(-?[0-9.]+(?:e[-+]?\d+)?)'?")


class StreamSplitter:
    """Splits a child's output into readable lines and notices the training bar and logged metrics."""

    def __init__(self) -> None:
        self.pending = ""
        self.after_warning = False
        self.step = 0
        self.total = 0
        self.finished = False
        self.metrics: dict[str, float] = {}

    def feed(self, text: str) -> list[str]:
        """Lines to keep from ``text`` (a chunk of output, possibly ending mid-line)."""
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        kept = [kept for line in lines if (kept := self._line(line)) is not None]
        for segment in self.pending.split("\r")[:-1]:  # a bar redraws without a newline: follow it now
            self._notice(segment)
        return kept

    def finish(self) -> list[str]:
        rest, self.pending = self.pending, ""
        kept = self._line(rest) if rest else None
        return [kept] if kept is not None else []

    def _line(self, line: str) -> str | None:
        segments = line.split("\r")  # progress bars redraw with carriage returns: keep the last state
        for segment in segments:
            self._notice(segment)
        text = segments[-1] if segments[-1].strip() else next((s for s in reversed(segments) if s.strip()), None)
        if text is None:  # blank: keep a blank line, not what a redrawn bar leaves behind
            return None if len(segments) > 1 else ""
        if self.after_warning and text.startswith((" ", "\t")):  # the source line under a warning
            self.after_warning = False
            return None
        self.after_warning = False
        warning = WARNING.search(text)
        if warning:
            self.after_warning = True
            text = text[:warning.start()]
            return text if text.strip() else None
        return text

    def _notice(self, segment: str) -> None:
        # The first bar without a description is the trainer's (bars drawn under it, like live evaluation's,
        # carry a cursor-up escape); the bars of the evaluation after training are not followed.
        bar = TRAIN_BAR.match(segment)
        if bar and "\x1b[" not in segment and not self.finished:
            step, total = int(bar.group(1)), int(bar.group(2))
            if not self.total or total == self.total:
                self.step, self.total = step, total
                self.finished = step >= total
        for name, value in LOGGED.findall(segment):
            self.metrics[name] = float(value)


def run_stage(cmd: list[str], log_file: Path, what: str, show_progress: bool | None = None) -> int:
    """Run ``cmd``, writing ``log_file`` (filtered) and ``<log>.debug.log`` (raw); returns the exit status.

    ``show_progress`` (default: when stderr is a terminal) draws a bar for the training steps.
    """
    debug_file = log_file.with_suffix(".debug.log")
    show = sys.stderr.isatty() if show_progress is None else show_progress
    splitter, bar = StreamSplitter(), None
    with open(log_file, "a", encoding="utf-8") as log, open(debug_file, "a", encoding="utf-8") as debug:
        for handle in (log, debug):
            handle.write("$ " + shlex.join(cmd) + "\n")
            handle.flush()
        process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            while chunk := os.read(process.stdout.fileno(), 65536):
                text = chunk.decode("utf-8", errors="replace")
                debug.write(text)
                kept = splitter.feed(text)
                if kept:
                    log.write("\n".join(kept) + "\n")
                    log.flush()
                bar = _update(bar, splitter, what, show)
            status = process.wait()
        finally:
            if process.poll() is None:  # interrupted: do not leave the stage running
                process.terminate()
                process.wait()
            log.write("\n".join(splitter.finish()) + "\n" if splitter.pending else "")
            if bar is not None:
                bar.close()
    return status


def _update(bar, splitter: StreamSplitter, what: str, show: bool):
    if not show or not splitter.total:
        return bar
    if bar is None:
        from tqdm import tqdm

        bar = tqdm(total=splitter.total, desc=what, unit="step", leave=True, dynamic_ncols=True)
    if splitter.total != bar.total:  # a second bar in the same stage (e.g. rs-sft: sampling, then training)
        bar.reset(total=splitter.total)
    bar.n = splitter.step
    key = "reward" if "reward" in splitter.metrics else "loss"
    if key in splitter.metrics:
        bar.set_postfix({key: f"{splitter.metrics[key]:.3f}"}, refresh=False)
    bar.refresh()
    return bar

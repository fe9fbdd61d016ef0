"""Helpers for the inference tests: a LoRA adapter that really changes the model, a free loopback port,
``lawbench serve`` started and stopped with timeouts, and a pseudo-terminal driver for ``lawbench chat``."""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from tests.support import REPO

SERVE_START_TIMEOUT_S = 180  # loading transformers + the tiny model on two busy cores
STOP_TIMEOUT_S = 60


def random_lora_adapter(base: Path, out: Path, seed: int = 0) -> Path:
    """A LoRA adapter on q/v projections with random A *and* B (PEFT's default B = 0 would change nothing)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(base)
    config = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False,
                        task_type="CAUSAL_LM")
    get_peft_model(model, config).save_pretrained(out)
    return out


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A running ``lawbench serve``: its base URL, the model name it printed, and its output so far."""

    def __init__(self, process: subprocess.Popen, log: Path, url: str):
        self.process, self.log, self.url = process, log, url
        self.name: str | None = None

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(r"ready; GET \S+ lists (\".*\")", self.output())
            if found:
                import json

                self.name = json.loads(found.group(1))
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"lawbench serve exited ({self.process.returncode}):\n{self.output()[-3000:]}")
            time.sleep(0.5)
        raise TimeoutError(f"lawbench serve not ready after {timeout}s:\n{self.output()[-3000:]}")

    def stop(self, sig: int = signal.SIGINT) -> int:
        """Send ``sig`` and wait for a clean exit (killed, and a failure, if it takes too long)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


@contextlib.contextmanager
def serving(model: Path, log: Path, *extra: str) -> Iterator[Server]:
    """``lawbench serve --model MODEL`` on a free 127.0.0.1 port while the block runs."""
    port = free_port()
    handle = open(log, "w", encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "lawbench", "serve", "--model", str(model), "--port", str(port),
                                *extra], stdout=handle, stderr=subprocess.STDOUT, cwd=REPO)
    server = Server(process, log, f"http://127.0.0.1:{port}/v1")
    try:
        server.wait_ready(SERVE_START_TIMEOUT_S)
        yield server
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.stop()
        handle.close()


class Terminal:
    """A command run in a pseudo-terminal (so ``isatty()`` is true), read and written with timeouts."""

    def __init__(self, *args: str):
        import pty

        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become the command
            os.execv(sys.executable, [sys.executable, "-m", "lawbench", *args])
        self.seen = ""

    def expect(self, text: str, timeout: float = 120) -> str:
        """Read until ``text`` appears (after what earlier calls consumed); return what was read."""
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{text!r} not seen in {timeout}s; output:\n{self.seen[-2000:]}")
            ready, _, _ = select.select([self.fd], [], [], min(left, 1.0))
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # the child closed the terminal
                    chunk = b""
                if not chunk:
                    raise EOFError(f"{text!r} not seen before the command ended; output:\n{self.seen[-2000:]}")
                self.seen += chunk.decode("utf-8", errors="replace")
        before, _, after = self.seen.partition(text)
        self.seen = after
        return before

    def send(self, line: str) -> None:
        os.write(self.fd, (line + "\n").encode("utf-8"))

    def wait(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):  # keep draining so the child never blocks on a full terminal
                if select.select([self.fd], [], [], 0.2)[0]:
                    os.read(self.fd, 4096)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        raise TimeoutError("the chat did not exit")

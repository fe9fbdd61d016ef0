"""``lawbench serve``: an OpenAI-compatible server for a model, on an existing engine.

    lawbench serve --model out/sft --port 8000                  # then: lawbench eval --backend api \\
    #     --base-url http://127.0.0.1:8000/v1 --model NAME      # NAME: the line lawbench serve prints

Engines (``--engine auto`` picks vLLM when it is installed and a CUDA GPU is visible, else transformers):

* ``vllm``: ``vllm serve BASE`` with a LoRA adapter as a LoRA module (``--enable-lora --lora-modules
  NAME=ADAPTER``), served as NAME (the adapter folder's name) or ``--served-model-name``;
* ``transformers``: ``transformers serve MODEL`` pinned to the one model (continuous batching on CUDA).
  It loads checkpoints only, so a LoRA adapter is first merged (``lawbench model merge``) into a cache
  folder (``--merge-dir``, default ``~/.cache/lawbench/merged``), reused while the adapter is unchanged.
  The model's name is its path, as ``/v1/models`` lists it.

The server listens on 127.0.0.1 unless ``--host`` says otherwise; a busy port is a one-line error before
anything loads. SIGINT (Ctrl-C) or SIGTERM stop the engine cleanly and exit with status 0.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from lawbench.errors import ModelError
from lawbench.models.resolve import ModelOptions, ResolvedModel
from lawbench.utils.dataclass_cli import option

log = logging.getLogger(__name__)
ENGINES = ("auto", "vllm", "transformers")
STOP_GRACE_S = 30  # seconds the engine gets to finish after SIGINT / SIGTERM before it is killed


@dataclass
class ServeConfig:
    """``lawbench serve``'s own flags (the model's are :class:`ModelOptions`)."""

    model: ModelOptions
    host: str = option("127.0.0.1", group="server", help="address to listen on (0.0.0.0: every interface)")
    port: int = option(8000, group="server", help="port to listen on")
    engine: str = option("auto", choices=ENGINES, group="server",
                         help="auto: vllm with vLLM + CUDA, else transformers")
    served_model_name: str | None = option(None, group="server", help="vllm: the name clients ask for "
                                           "(default: the adapter folder's name, else the model path)")
    continuous_batching: str = option("auto", choices=("auto", "on", "off"), group="server",
                                      help="transformers: continuous batching; auto: on with CUDA only "
                                           "(on a CPU its paged cache start-up costs more than it gains)")
    merge_dir: str | None = option(None, group="server", help="transformers: where adapters are merged "
                                   "(default: $LAWBENCH_CACHE/merged or ~/.cache/lawbench/merged)")


def check_port(host: str, port: int) -> None:
    """One-line :class:`ModelError` when ``host:port`` cannot be listened on (taken, or not this machine's)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: a closed server's port is free
        try:
            probe.bind((host, port))
        except OSError as err:
            raise ModelError(f"cannot listen on {host}:{port}: {err.strerror or err}; "
                             "pass a free port with --port") from None


def pick_engine(requested: str) -> str:
    import importlib.util

    if requested != "auto":
        return requested
    if importlib.util.find_spec("vllm") is not None:
        import torch

        if torch.cuda.is_available():
            return "vllm"
    return "transformers"


def merged_checkpoint(resolved: ResolvedModel, options: ModelOptions, merge_dir: str | None) -> str:
    """A folder holding ``resolved.adapter`` merged into its base, made once per adapter version."""
    from lawbench.inference.merge import merge_to_folder

    adapter = Path(resolved.adapter)
    stamp = [str(adapter), resolved.path, options.dtype]
    for name in sorted(os.listdir(adapter)):
        if name.startswith("adapter_model"):
            stat = (adapter / name).stat()
            stamp += [name, str(stat.st_size), str(stat.st_mtime_ns)]
    key = hashlib.sha256(json.dumps(stamp).encode()).hexdigest()[:12]
    root = Path(merge_dir or Path(os.environ.get("LAWBENCH_CACHE", Path.home() / ".cache" / "lawbench")) / "merged")
    out = root / f"{adapter.name}-{key}"
    if (out / "config.json").is_file():
        log.info("using the merged checkpoint %s", out)
    else:
        print(f"merging adapter {adapter} into {resolved.path} -> {out}", file=sys.stderr, flush=True)
        merge_to_folder(str(adapter), out, base_model=resolved.path, dtype=options.dtype,
                        trust_remote_code=options.trust_remote_code)
    return str(out.resolve())


def transformers_command(model_path: str, config: ServeConfig, device: str, dtype: str) -> list[str]:
    """``transformers serve`` pinned to ``model_path`` (the name ``/v1/models`` lists)."""
    options = config.model
    cmd = [sys.executable, "-m", "transformers.cli.transformers", "serve", model_path, "--host", config.host,
           "--port", str(config.port), "--device", device, "--dtype", dtype]
    batching = config.continuous_batching == "on" or (config.continuous_batching == "auto"
                                                      and device.startswith("cuda"))
    if batching:
        cmd.append("--continuous-batching")
    if options.trust_remote_code:
        cmd.append("--trust-remote-code")
    if options.load_in_4bit:
        cmd += ["--quantization", "bnb-4bit"]
    return cmd


def vllm_command(resolved: ResolvedModel, config: ServeConfig, dtype: str) -> tuple[list[str], str]:
    """``vllm serve`` arguments and the model name clients use (unit-tested: vLLM needs a GPU)."""
    from lawbench.inference.engines import vllm_engine_args

    options = config.model
    args = vllm_engine_args(options, resolved, dtype)
    exe = Path(sys.executable).with_name("vllm")
    cmd = [str(exe) if exe.exists() else "vllm", "serve", args.pop("model"), "--host", config.host,
           "--port", str(config.port)]
    if resolved.adapter:
        name = config.served_model_name or Path(resolved.adapter).name
        cmd += ["--lora-modules", f"{name}={resolved.adapter}"]
        args.pop("enable_lora")
        cmd.append("--enable-lora")
    else:
        name = config.served_model_name or resolved.path
        cmd += ["--served-model-name", name]
    for key, value in args.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            cmd.append(flag)
        elif value not in (False, None):
            cmd += [flag, str(value)]
    return cmd, name


def plan(config: ServeConfig) -> tuple[list[str], str, str]:
    """(command, served model name, engine) for ``config``; checks everything that fails fast."""
    from lawbench.models.load import choose_dtype, default_device, is_prompt_learning
    from lawbench.models.resolve import resolve_model

    options = config.model
    if options.backend == "api":
        raise ModelError("lawbench serve runs a local model; --backend api points at a server that already exists")
    check_port(config.host, config.port)
    resolved = resolve_model(options)
    engine = pick_engine("vllm" if options.backend == "vllm" and config.engine == "auto" else config.engine)
    if is_prompt_learning(resolved.adapter):
        raise ModelError(f"{resolved.adapter} is a prompt-learning adapter, which neither vLLM nor transformers "
                         "serve can load; use lawbench chat / generate / eval --model ADAPTER")
    if engine == "vllm":
        from lawbench.inference.engines import require_vllm

        require_vllm("--engine vllm")
        cmd, name = vllm_command(resolved, config, choose_dtype(options.dtype, "cuda"))
        return cmd, name, engine
    device = options.device or default_device()
    path = merged_checkpoint(resolved, options, config.merge_dir) if resolved.adapter else resolved.path
    return transformers_command(path, config, device, choose_dtype(options.dtype, device)), path, engine


def _ready(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url + "/models", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def run_serve(config: ServeConfig) -> int:
    """Start the engine, say when it answers, stop it on SIGINT / SIGTERM; the engine's exit status otherwise."""
    cmd, name, engine = plan(config)
    host = f"[{config.host}]" if ":" in config.host else config.host
    url = f"http://{host}:{config.port}/v1"
    if config.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"lawbench serve: listening on {config.host}: anyone who reaches this machine can use the model",
              file=sys.stderr)
    print(f"lawbench serve: model {name} at {url} (engine: {engine}); Ctrl-C stops it", flush=True)
    log.debug("engine command: %s", " ".join(cmd))
    # Its own session: a terminal's Ctrl-C reaches lawbench only, which passes it on once.
    child = subprocess.Popen(cmd, start_new_session=True)
    stopping: list[int] = []

    def stop(signum, _frame):
        stopping.append(signum)
        if child.poll() is None:
            child.send_signal(signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        announced = False
        while child.poll() is None:
            if stopping:
                try:
                    child.wait(STOP_GRACE_S)
                except subprocess.TimeoutExpired:
                    child.kill()
                break
            if not announced and _ready(url):
                print(f"lawbench serve: ready; GET {url}/models lists {json.dumps(name)}", flush=True)
                announced = True
            time.sleep(0.5)
        status = child.wait()
    finally:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if stopping:
        print("lawbench serve: stopped", flush=True)
        return 0
    if status != 0:
        raise ModelError(f"{engine} engine exited with status {status}; see its messages above")
    return 0

"""Work offline at once when the Hugging Face hub cannot be reached, instead of retrying per file.

Without ``HF_HUB_OFFLINE=1``, huggingface_hub retries every request five times with back-off, so a
missing local data folder on a machine without network costs half a minute of warnings before the one
useful error. :func:`go_offline_if_unreachable` tries one TCP connection to the hub (``HF_ENDPOINT``, or
the HTTPS proxy when one is set) with a one-second limit, once per process, and when it fails sets
``HF_HUB_OFFLINE`` and ``HF_DATASETS_OFFLINE`` before the Hugging Face libraries read them.

A value the user already set (``HF_HUB_OFFLINE``, ``HF_DATASETS_OFFLINE``, ``TRANSFORMERS_OFFLINE``, 0 or
1) is respected and nothing is probed; ``LAWBENCH_HUB_CHECK=0`` turns the probe off.

Example (a port nobody listens on is unreachable):
    >>> import socket
    >>> with socket.socket() as s:
    ...     s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    >>> hub_reachable(f"http://127.0.0.1:{port}", timeout=1.0)
    False
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import sys
import threading
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://huggingface.co"
TIMEOUT_S = 1.0  # a reachable hub answers a TCP handshake well within this, even from far away
OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")


def _proxy_for(url: str) -> str | None:
    scheme = urlsplit(url).scheme or "https"
    for name in (f"{scheme}_proxy", f"{scheme.upper()}_PROXY", "all_proxy", "ALL_PROXY"):
        if os.environ.get(name):
            return os.environ[name]
    return None


def hub_reachable(endpoint: str, timeout: float = TIMEOUT_S) -> bool:
    """Whether a TCP connection to ``endpoint`` (or its proxy) opens within ``timeout`` seconds.

    Name resolution has no timeout of its own, so the attempt runs in a daemon thread that is given up on
    after ``timeout`` (plus a little for the handshake).
    """
    target = urlsplit(_proxy_for(endpoint) or endpoint)
    host = target.hostname
    if not host:
        return False
    port = target.port or (443 if target.scheme == "https" else 80)
    outcome: list[bool] = []

    def attempt() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                outcome.append(True)
        except OSError:
            outcome.append(False)

    worker = threading.Thread(target=attempt, daemon=True, name="lawbench-hub-check")
    worker.start()
    worker.join(timeout + 0.5)
    return bool(outcome and outcome[0])


@functools.lru_cache(maxsize=None)
def go_offline_if_unreachable() -> bool:
    """Switch the Hugging Face libraries to offline mode when the hub is unreachable; True when switched.

    Runs once per process (cached); say so in one line on stderr when it switches.
    """
    if any(name in os.environ for name in OFFLINE_VARIABLES) or os.environ.get("LAWBENCH_HUB_CHECK") == "0":
        return False
    endpoint = os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT
    if hub_reachable(endpoint):
        return False
    os.environ["HF_HUB_OFFLINE"] = os.environ["HF_DATASETS_OFFLINE"] = "1"
    _update_loaded_libraries()
    print(f"lawbench: the Hugging Face hub ({urlsplit(endpoint).hostname}) is unreachable; working offline "
          "(local folders and the hub cache only; set HF_HUB_OFFLINE=0 to skip this check)", file=sys.stderr)
    return True


def _update_loaded_libraries() -> None:
    """The libraries read the variables when imported: correct those already imported (normally none)."""
    if "huggingface_hub" in sys.modules:
        from huggingface_hub import constants

        constants.HF_HUB_OFFLINE = True
    if "datasets" in sys.modules:
        import datasets.config

        datasets.config.HF_HUB_OFFLINE = datasets.config.HF_DATASETS_OFFLINE = True

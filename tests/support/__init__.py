"""What the tests share besides pytest fixtures (those are in ``tests/conftest.py``): paths, a way to run
the command line, source folders and eval runs written in their original layouts, recipe settings.

Test modules import from here, never from one another.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"  # the real datasets, beside the repository in the dev setup


def lawbench(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``python -m lawbench ARGS`` in a fresh process, capturing its output as text."""
    return subprocess.run([sys.executable, "-m", "lawbench", *args], capture_output=True, text=True, timeout=timeout)

"""A non-editable install (``pip install --target``) carries the front end and builds a site.

The package is installed without dependencies into a temporary folder and imported from there by a
Python started with ``-S`` (so the editable install of the development venv cannot shadow it); the
dependencies come from the venv's site-packages. A few seconds.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

from tests.support import REPO
from tests.support.leaderboard_runs import write_fixture_runs


def _setuptools_major() -> int:
    try:
        return int(version("setuptools").split(".")[0])
    except (PackageNotFoundError, ValueError):
        return 0


@pytest.mark.skipif(_setuptools_major() < 77,
                    reason="an offline build needs setuptools>=77 in this venv (torch pulls it in)")
def test_installed_package_builds_a_site(tmp_path):
    source = tmp_path / "src"  # a copy, so that setuptools' build/ folder never lands in the checkout
    shutil.copytree(REPO / "lawbench", source / "lawbench", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    target = tmp_path / "installed"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                           "--no-index", "--target", str(target), str(source)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert sorted(p.name for p in (target / "lawbench" / "leaderboard" / "web").iterdir()) == ["app.js", "index.html",
                                                                                              "style.css"]
    assert (target / "lawbench" / "leaderboard" / "published" / "lawbench_zero_shot.json").is_file()
    assert (target / "lawbench" / "tasks" / "lexeval" / "_default_lexeval_template").is_file()

    runs = write_fixture_runs(tmp_path / "pipeline")
    script = ("import lawbench, sys; from lawbench.leaderboard import build_site; "
              "print(lawbench.__file__); print(build_site(sys.argv[1], sys.argv[2], iters=200))")
    env = {"PYTHONPATH": f"{target}:{sysconfig.get_paths()['purelib']}", "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path)}
    built = subprocess.run([sys.executable, "-S", "-c", script, str(runs), str(tmp_path / "site")],
                           capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert built.returncode == 0, built.stderr[-2000:]
    module_file, index = built.stdout.split()
    assert Path(module_file).is_relative_to(target)  # really the installed copy
    assert "lawbench-data" in Path(index).read_text(encoding="utf-8")

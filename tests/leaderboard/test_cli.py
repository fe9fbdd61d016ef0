"""`lawbench leaderboard build` on the command line."""

from __future__ import annotations

from tests.support import lawbench
from tests.support.leaderboard_runs import write_fixture_runs


def test_cli_builds_the_site(tmp_path):
    runs = write_fixture_runs(tmp_path / "pipeline")
    done = lawbench("leaderboard", "build", "--runs", str(runs), "--out", str(tmp_path / "site"),
                    "--bootstrap-iters", "200")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == f"leaderboard written to {tmp_path / 'site' / 'index.html'}"
    assert (tmp_path / "site" / "exports" / "overview.md").read_text(encoding="utf-8").startswith("| task |")


def test_cli_errors_are_one_line(tmp_path):
    done = lawbench("leaderboard", "build", "--runs", str(tmp_path / "none"), "--out", str(tmp_path / "site"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "no such folder" in done.stderr
    assert not (tmp_path / "site").exists()
    (tmp_path / "runs" / "x").mkdir(parents=True)
    (tmp_path / "runs" / "x" / "results_1.json").write_text("[]", encoding="utf-8")
    done = lawbench("leaderboard", "build", "--runs", str(tmp_path / "runs"), "--out", str(tmp_path / "site"))
    assert done.returncode == 2 and "results_1.json: not an lm-eval results file" in done.stderr

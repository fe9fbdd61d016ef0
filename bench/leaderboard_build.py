"""`lawbench leaderboard build`: build time, site size and page load for a small and a full-size suite.

    python bench/leaderboard_build.py [--iters 1000]

Both sizes are synthetic runs from the test fixture generator (five stages, base -> pt -> sft ->
{dpo, kto}): "tests" is the fixture the test suite uses (3 LawShift scenarios x 8 cases, short
outputs); "full" is LawShift-sized (31 scenarios x 100 cases per side, ~600 characters of reasoning
per output). Page load is timed in headless Chromium when Playwright and /usr/bin/chromium exist.
Writes bench/results/leaderboard_build.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lawbench.leaderboard import build_site  # noqa: E402
from lawbench.tasks.lawshift.scenarios import SCENARIOS  # noqa: E402
from tests.support.leaderboard_runs import write_fixture_runs  # noqa: E402

OUT = Path(__file__).parent / "results" / "leaderboard_build.json"
SIZES = {
    "tests": {"cases_per_side": 8, "think_chars": 0, "scenarios": None},
    "full": {"cases_per_side": 100, "think_chars": 600,
             "scenarios": tuple((s.name, s.code, s.shift_type) for s in SCENARIOS)},
}


def page_load(index: Path) -> dict | None:
    """Seconds until the overview and a 50-item transition list are drawn, from file://."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not Path("/usr/bin/chromium").is_file():
        return None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        start = time.perf_counter()
        page.goto(index.as_uri() + "#/overview")
        page.wait_for_selector("#overview-table")
        overview = time.perf_counter() - start
        start = time.perf_counter()
        page.goto(index.as_uri() + "#/items?task=lawshift_term_up_poisoned&a=sft&b=dpo"
                  "&metric=verdict_acc&kind=still_wrong")
        page.wait_for_selector("#item-list")
        items = time.perf_counter() - start
        browser.close()
    return {"overview_s": round(overview, 3), "item_list_s": round(items, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=1000)
    args = parser.parse_args()
    results = {}
    for name, size in SIZES.items():
        with tempfile.TemporaryDirectory() as tmp:
            kwargs = {k: v for k, v in size.items() if v is not None}
            runs = write_fixture_runs(Path(tmp), **kwargs)
            n_items = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in runs.rglob("samples_*.jsonl"))
            start = time.perf_counter()
            index = build_site(runs, Path(tmp) / "site", iters=args.iters)
            seconds = time.perf_counter() - start
            results[name] = {"runs": 5, "items": n_items, "build_s": round(seconds, 2),
                             "ms_per_1000_items": round(seconds / n_items * 1e6, 1),
                             "index_html_mb": round(index.stat().st_size / 1e6, 2), "page": page_load(index)}
        row = results[name]
        print(f"{name:6s} {row['items']:6d} items  build {row['build_s']:6.2f} s "
              f"({row['ms_per_1000_items']:6.1f} ms/1000 items)"
              f"  index.html {row['index_html_mb']:6.2f} MB  page {row['page']}")
    results["bootstrap_iters"] = args.iters
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

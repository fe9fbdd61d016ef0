"""Screenshots of the leaderboard's main views for README / docs, from the test fixture runs.

    python docs/screenshots.py                              # writes docs/leaderboard-*.png
    python docs/screenshots.py --demo-site DEMO_OUT/site    # writes docs/demo-overview.png

Uses the browser tests' setup: Playwright for Python driving Debian's chromium (/usr/bin/chromium).
For readable Chinese text install a CJK font first (``apt-get install -y fonts-noto-cjk``); with
``pngquant`` installed the PNGs are quantised (about a fifth of the size). The fixture runs have the
demo's eight stages; 1400 px is the width at which the overview shows them all.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lawbench.leaderboard import build_data, build_site  # noqa: E402
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.leaderboard_runs import DEMO_STAGES, write_fixture_runs  # noqa: E402

WIDTH, HEIGHT = 1400, 800  # one screen, viewport only: small files that still show a whole view


def views(data: dict) -> dict[str, str]:
    fixed = next(e for e in data["transitions"]["mc_demo_statutes"] if (e["a"], e["b"]) == ("pt", "sft"))
    first = fixed["metrics"]["acc"]["fixed"][0]
    return {
        "overview": "/overview",
        "lawshift": "/lawshift",
        "transitions": "/transitions",  # opens on the stage pair with most changed items
        "items": "/items?task=lawshift_term_up_poisoned&a=base&b=pt&metric=verdict_acc&kind=still_wrong",
        "item": f"/item?task=mc_demo_statutes&doc={first}&a=pt&b=sft",
        "charts": "/charts",
        "runs": "/runs",
    }


def shoot(page, index: Path, route: str, out: Path) -> None:
    page.goto(f"{index.as_uri()}#{route}")
    page.wait_for_selector("#app h2")
    page.screenshot(path=str(out))
    if shutil.which("pngquant"):
        subprocess.run(["pngquant", "--force", "--quality=70-90", "--strip", "--output", str(out), str(out)],
                       check=True)
    print(f"{out.relative_to(ROOT)}  {out.stat().st_size // 1024} KiB")


def main() -> None:
    import argparse

    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo-site", type=Path, help="a site `lawbench demo` built: screenshot its overview only")
    args = parser.parse_args()
    if args.demo_site:
        index = args.demo_site / "index.html"
        if not index.is_file():
            sys.exit(f"error: {index} does not exist; run `lawbench demo --out DIR` and pass DIR/site")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            shoot(page, index.resolve(), "/overview", ROOT / "docs" / "demo-overview.png")
            browser.close()
        return

    with tempfile.TemporaryDirectory() as tmp:
        runs = write_fixture_runs(Path(tmp), stages=DEMO_STAGES)
        index = build_site(runs, Path(tmp) / "site")
        data, _ = build_data(runs)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            for name, route in views(data).items():
                shoot(page, index, route, ROOT / "docs" / f"leaderboard-{name}.png")
            browser.close()


if __name__ == "__main__":
    main()

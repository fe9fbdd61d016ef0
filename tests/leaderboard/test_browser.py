"""The leaderboard in real headless Chromium (Debian's ``chromium``) through Playwright, from file://.

Skipped with a reason when Playwright or /usr/bin/chromium is missing, except where
``LAWBENCH_REQUIRE_BROWSER=1`` (CI sets it): there a missing browser fails the suite.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lawbench.leaderboard import build_site
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.leaderboard_runs import DEMO_STAGES, PAYLOADS, write_fixture_runs

ITERS = 300


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).is_file()):
        return f"{CHROMIUM} not found (apt-get install -y chromium)"
    return None


def _require_browser() -> None:
    missing = _missing_browser()
    if missing is None:
        return
    _skip_or_fail(missing)


def _skip_or_fail(missing: str) -> None:
    if os.environ.get("LAWBENCH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required here (LAWBENCH_REQUIRE_BROWSER=1) but {missing}")
    pytest.skip(missing)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    _require_browser()
    root = tmp_path_factory.mktemp("pipeline")
    runs = write_fixture_runs(root, stages=DEMO_STAGES)  # the demo's eight stages: a wide overview
    index = build_site(runs, root / "site", iters=ITERS)
    page = index.read_text(encoding="utf-8")  # the data as the page reads it (no second build)
    data, items = (json.loads(re.search(f'<script type="application/json" id="{name}">(.*?)</script>', page,
                                        re.S).group(1)) for name in ("lawbench-data", "lawbench-items"))
    return index, data, items


class Page:
    """One Chromium page that records dialogs, script errors and console errors."""

    def __init__(self, page, index: Path):
        self.page, self.base = page, index.as_uri()
        self.dialogs, self.errors = [], []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def open(self, route: str):
        self.page.goto(f"{self.base}#{route}")
        self.page.wait_for_selector("#app h2")
        return self.page

    def xss_flags(self):
        return self.page.evaluate("[window.__xss_img, window.__xss_script, window.__xss_close]")


@pytest.fixture(scope="module")
def browser(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser, site):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, java_script_enabled=True)
    wrapped = Page(context.new_page(), site[0])
    yield wrapped
    assert wrapped.dialogs == [] and wrapped.errors == []  # nothing ran that should not have, nothing broke
    assert wrapped.xss_flags() == [None, None, None]
    context.close()


def _row(data, node, metric):
    return next(r for r in data["rows"] if r["node"] == node and r["metric"] == metric)


def test_overview_shows_scores_changes_and_the_guard(page, site):
    _, data, _ = site
    p = page.open("/overview")
    statutes = _row(data, "mc_demo_statutes", "acc")
    cell = p.locator(f'tr[data-row="{statutes["id"]}"] td[data-stage="pt"]')
    assert cell.locator(".score").inner_text() == f'{statutes["cells"]["pt"]["score"]:.3f}'
    change = statutes["vs_parent"]["pt"]
    parent_text = cell.locator(".chg-parent").inner_text()
    assert f'{abs(change["diff"]):.3f}' in parent_text and ("▲" in parent_text) == change["significant"]
    assert change["significant"] and "better" in cell.locator(".chg-parent").get_attribute("class").split()
    blocked = p.locator(f'tr[data-row="{_row(data, "mc_demo_cases", "acc")["id"]}"] td[data-stage="kto"] .chg-parent')
    assert "not comparable" in blocked.inner_text() and blocked.get_attribute("data-status") == "prompt"
    assert p.locator("#overview-table thead th").all_inner_texts()[2:] == [
        "base\nroot", "pt\n← base", "sft\n← pt", "rs-sft\n← sft", "dpo\n← rs-sft", "kto\n← rs-sft", "ppo\n← rs-sft",
        "grpo\n← rs-sft"]

    # sort by a stage, pick columns, filter by group: each is a link-able URL
    p.locator('#overview-table thead th[data-stage="sft"] a.sort').click()
    p.wait_for_function("location.hash.includes('sort=sft')")
    scores = [float(t) for t in p.locator('#overview-table tbody td[data-stage="sft"] .score').all_inner_texts()]
    assert scores == sorted(scores, reverse=True) and len(scores) == sum(r["primary"] for r in data["rows"])
    p.locator('#column-picker input[data-stage="kto"]').uncheck()
    p.wait_for_function("location.hash.includes('hide=kto')")
    assert p.locator('#overview-table thead th[data-stage="kto"]').count() == 0
    p.select_option("#group-select", "mc_demo")
    p.wait_for_function("location.hash.includes('group=mc_demo')")
    assert sorted(p.locator("#overview-table tbody td.task").all_inner_texts()) == ["mc_demo", "mc_demo_cases",
                                                                                   "mc_demo_statutes"]


def test_overview_reads_at_a_glance(page, site):
    """Eight stages at 1400 px: every column on screen, the page itself never scrolls sideways, the task
    column and header stick, cells are shaded by their change, CIs show on demand, zero-width ones say why."""
    _, data, _ = site
    p = page.open("/overview")
    no_page_overflow = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    assert p.evaluate(no_page_overflow)
    heads = p.locator("#overview-table thead th[data-stage]")
    assert heads.count() == len(DEMO_STAGES)
    assert all(box["x"] + box["width"] <= 1400 for box in (heads.nth(i).bounding_box() for i in range(8)))
    # shading: green where the change is better, red where worse, darker when significant; none without a change
    shaded = p.locator("#overview-table td[data-shade]")
    changed = [(r["id"], s) for r in data["rows"] if r["primary"] for s, c in r["vs_parent"].items()
               if c.get("diff") and c["status"] in ("ok", "subset", "noitems")]
    assert shaded.count() == len(changed) > 0
    statutes = _row(data, "mc_demo_statutes", "acc")
    cell = p.locator(f'tr[data-row="{statutes["id"]}"] td[data-stage="pt"]')
    assert cell.get_attribute("data-shade") == "better sig"
    assert re.fullmatch(r"rgba\(30, 150, 70, 0\.\d+\)", cell.evaluate("e => getComputedStyle(e).backgroundColor"))
    # compact by default: score and Δp; the CI is in the tooltip and shows with the box ticked
    assert not cell.locator(".ci").first.is_visible() and "[" in cell.get_attribute("title")
    p.locator("#ci-toggle").check()
    p.wait_for_function("location.hash.includes('ci=1')")
    assert p.locator(f'tr[data-row="{statutes["id"]}"] td[data-stage="pt"] .ci').first.is_visible()
    zero_width = [(r["id"], s) for r in data["rows"] if r["primary"] for s, c in r["cells"].items()
                  if c.get("lo") is not None and c["lo"] == c["hi"]]
    assert zero_width  # the fixture has some (every item right, or every item wrong)
    row_id, stage = zero_width[0]
    note = p.locator(f'tr[data-row="{row_id}"] td[data-stage="{stage}"] .degenerate').first
    assert "all items alike" in note.inner_text()
    assert p.evaluate(no_page_overflow)
    # narrower: the table scrolls inside its box; the task column and the header row stay where they were
    p.set_viewport_size({"width": 900, "height": 600})
    wrap = p.locator("#overview-wrap")
    p.evaluate("() => { const w = document.getElementById('overview-wrap'); w.scrollLeft = 300; w.scrollTop = 200; }")
    assert p.evaluate("document.getElementById('overview-wrap').scrollLeft") == 300 and p.evaluate(no_page_overflow)
    first_task = p.locator("#overview-table tbody td.task").nth(6).bounding_box()
    header = p.locator("#overview-table thead th.task-col").bounding_box()
    assert abs(first_task["x"] - wrap.bounding_box()["x"]) <= 2 and abs(header["y"] - wrap.bounding_box()["y"]) <= 2


def _cjk_fonts() -> set[str]:
    """Font families fontconfig has for Chinese (empty without fontconfig or such a font)."""
    if not shutil.which("fc-list"):
        return set()
    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False).stdout
    return {name.strip() for line in listed.splitlines() for name in line.split(",") if name.strip()}


def test_chinese_text_renders_with_a_cjk_font(page):
    """Case texts and outputs are Chinese: with a CJK font installed (fonts-noto-cjk, which .ci/run installs)
    each character is drawn from it with a real width, not as a missing-glyph box."""
    fonts = _cjk_fonts()
    if not fonts:
        _skip_or_fail("no CJK font is installed (`fc-list :lang=zh` is empty; apt-get install -y fonts-noto-cjk)")
    p = page.open("/item?task=lawshift_term_up_original&doc=2")
    p.locator("#item-view dl.fields dd", has_text="被告人").first.evaluate("dd => dd.setAttribute('data-sample', '')")
    selector = "#item-view dd[data-sample]"  # the case text
    text = p.locator(selector).first.inner_text()
    han = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    assert len(han) >= 8, text
    cdp = p.context.new_cdp_session(p)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    document = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": document, "selector": selector})
    used = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    assert sum(f["glyphCount"] for f in used if f["familyName"] in fonts) >= len(han), used
    widths = p.locator(selector).first.evaluate("""dd => {
        const node = dd.firstChild, out = [];
        for (let i = 0; i < node.length; i++) {
            if (!/[\u4e00-\u9fff]/.test(node.data[i])) continue;
            const range = document.createRange();
            range.setStart(node, i); range.setEnd(node, i + 1);
            out.push(range.getBoundingClientRect().width);
        }
        return out; }""")
    assert len(widths) == len(han) and min(widths) > 0


def test_transition_list_and_drill_down(page, site):
    _, data, _ = site
    entry = next(e for e in data["transitions"]["mc_demo_statutes"] if (e["a"], e["b"]) == ("pt", "sft"))
    fixed = entry["metrics"]["acc"]["fixed"]
    p = page.open("/transitions?a=pt&b=sft")
    link = p.locator('#transitions-table tr[data-task="mc_demo_statutes"] a[data-kind="fixed"]')
    assert link.inner_text() == str(len(fixed))
    link.click()
    p.wait_for_selector("#item-list")
    cards = p.locator("#item-list .item-card")
    assert [int(c) for c in cards.evaluate_all("cs => cs.map(c => c.dataset.doc)")] == fixed
    first = cards.first
    assert (first.locator('.side[data-stage="pt"] .answer').inner_text()
            != first.locator('.side[data-stage="sft"] .answer').inner_text())
    assert first.locator('.side[data-stage="sft"] table.scores').inner_text().replace("\t", " ").find("acc 1.000") >= 0

    first.locator("h3 a").click()
    p.wait_for_selector("#item-view")
    assert p.locator("#item-view tbody tr").evaluate_all("rs => rs.map(r => r.dataset.stage)") == [
        stage for stage, _ in DEMO_STAGES]
    assert p.locator('#item-view tr[data-stage="sft"] td[data-metric="acc"]').inner_text() == "1.000"
    assert p.locator("#item-view code.gold").inner_text() == str(fixed[0] % 4)


def test_lawshift_view(page, site):
    _, data, _ = site
    # it opens on the stage and its parent whose LawShift answers changed most, on the primary metric
    parents = [p for p in data["pairs"] if p["relation"] == "parent"]
    busiest = max(parents, key=lambda p: p["lawshift_changes"])  # max(): the first of equals, as the page
    p = page.open("/lawshift")
    assert p.locator("#lawshift-pair").input_value() == f'{busiest["a"]}\u2192{busiest["b"]}'
    assert p.locator("#lawshift-metric").input_value() == data["lawshift"]["primary"] == "verdict_acc"
    assert p.locator("#lawshift-types thead th[data-stage]").all_inner_texts() == [busiest["a"], busiest["b"]]

    p = page.open("/lawshift?a=rs-sft&b=dpo")
    pooled = data["lawshift"]["stages"]["dpo"]["blocks"]["pooled"]
    verdict = pooled["metrics"]["verdict_acc"]
    cells = p.locator('#lawshift-types tr[data-block="pooled"] td .score').all_inner_texts()
    gap = verdict["gap"]["score"]
    assert cells[3:6] == [f'{verdict["original"]["score"]:.3f}', f'{verdict["poisoned"]["score"]:.3f}',
                          ("+" if gap > 0 else "−" if gap < 0 else "") + f"{abs(gap):.3f}"]  # dpo: the pair's second
    kinds = ("rr", "rw", "wr", "ww")
    box = p.locator('#lawshift-2x2 .twobytwo[data-stage="dpo"]')
    assert [box.locator(f'td[data-cell="{k}"]').inner_text() for k in kinds] == [str(verdict["table"][k])
                                                                                for k in kinds]
    stale = p.locator('#lawshift-stale tr[data-block="pooled"] td[data-stage="dpo"] .count').inner_text()
    assert stale == f'{pooled["stale"]["k"]}/{pooled["stale"]["n"]}'
    assert p.locator('#lawshift-stale tr[data-block="type:V"] td').nth(1).inner_text() == "n/a"
    assert p.locator("#lawshift-gap thead th[data-stage]").count() == len(DEMO_STAGES)  # the gap: every stage
    p.select_option("#lawshift-metric", "charge_acc")
    p.wait_for_function("location.hash.includes('metric=charge_acc')")
    assert "charge_acc" in p.locator("h3", has_text="Right / wrong").inner_text()
    p.select_option("#lawshift-pair", "all")
    p.wait_for_function("location.hash.includes('stages=all')")
    assert p.locator("#lawshift-types thead th[data-stage]").count() == len(DEMO_STAGES)


def test_transitions_open_on_the_busiest_pair_without_empty_links(page, site):
    _, data, _ = site
    parents = [p for p in data["pairs"] if p["relation"] == "parent"]
    busiest = max(parents, key=lambda p: p["changes"])
    p = page.open("/transitions")
    assert p.locator("#pair-select").input_value() == f'{busiest["a"]}\u2192{busiest["b"]}'
    primary = {r["node"]: r["metric"] for r in data["rows"] if r["primary"]}
    zeros = sum(len(ids) == 0 for task, entries in data["transitions"].items() for e in entries
                if (e["a"], e["b"]) == (busiest["a"], busiest["b"]) for ids in e["metrics"][primary[task]].values())
    assert zeros and p.locator("#transitions-table td.count span.zero").count() == zeros
    assert "0" not in p.locator("#transitions-table td.count a").all_inner_texts()


def test_payloads_from_models_and_datasets_stay_text(page, site):
    _, data, items = site
    strings = items["strings"]
    opened = 0
    for task, docs in items["tasks"].items():
        for doc_id, doc in docs.items():
            hits = [stage for stage, rec in doc["stages"].items()
                    if any(x in strings[rec["output"]] for x in PAYLOADS)]
            if not hits:
                continue
            p = page.open(f"/item?task={task}&doc={doc_id}")
            for stage in hits:
                shown = p.locator(f'#item-view pre.output[data-stage="{stage}"]').inner_text()
                assert shown == strings[doc["stages"][stage]["output"]]  # the payload, verbatim, as text
            opened += 1
    assert opened >= 3
    # a dataset-side payload (case text and a multiple-choice option), in the side-by-side list
    entry = next(e for e in data["transitions"]["lawshift_term_up_poisoned"] if (e["a"], e["b"]) == ("base", "pt"))
    kind = next(k for k, ids in entry["metrics"]["verdict_acc"].items() if 1 in ids)
    p = page.open(f"/items?task=lawshift_term_up_poisoned&a=base&b=pt&metric=verdict_acc&kind={kind}")
    assert PAYLOADS[0] in p.locator('.item-card[data-doc="1"] dl.fields').inner_text()
    p = page.open("/item?task=mc_demo_statutes&doc=1")
    assert PAYLOADS[1] in p.locator('#item-view pre.output[data-stage="base"]').inner_text()
    assert p.locator("#app img, #app script, #app iframe").count() == 0


def test_charts_runs_and_exports(page, site):
    index, data, _ = site
    p = page.open("/charts")
    assert p.locator("#slope-charts svg").count() == sum(1 for r in data["rows"] if r["primary"] and r["depth"] == 0)
    assert p.locator("#heatmap td.blocked").count() >= 1
    assert p.locator('section.curves[data-stage="pt"] svg').count() == len(data["curves"]["pt"]["charts"])
    live = [c for c in data["live"]["charts"] if c["primary"] and c["depth"] == 0]  # scores while training
    assert p.locator("#live-charts svg.live-chart").count() == len(live) >= 1
    chart = p.locator('#live-charts svg[data-node="mc_demo"]')
    drawn = next(c for c in live if c["node"] == "mc_demo")
    assert chart.locator("polyline.curve").count() == len(drawn["segments"]) == len(DEMO_STAGES) - 1  # trained
    assert chart.locator("circle.final").count() == len(drawn["finals"]) == len(DEMO_STAGES)
    assert "kto" in p.locator("#live-cost").inner_text()
    p = page.open("/runs")
    assert p.locator('#guard-table tr[data-task="mc_demo_cases"] td[data-status="prompt"]').count() == 1
    assert "model fingerprint" in p.locator("#runs-table").inner_text()
    p = page.open("/exports")
    shown = p.locator('pre[data-export="csv"]').inner_text()
    assert shown.strip() == (index.parent / "exports" / "overview.csv").read_text(encoding="utf-8").strip()
    assert p.locator('a[href="exports/overview.tex"]').count() == 1


def test_payloads_would_run_if_parsed_as_html(browser):
    """Control for the test above: the same payloads do fire when a page parses them as HTML."""
    context = browser.new_context()
    raw = context.new_page()
    fired = []
    raw.on("dialog", lambda d: (fired.append(d.message), d.dismiss()))
    raw.set_content("<div id='x'></div>")
    raw.evaluate("html => { document.getElementById('x').innerHTML = html; }", PAYLOADS[0])
    raw.wait_for_function("window.__xss_img === 1")
    assert fired == ["1"]
    context.close()

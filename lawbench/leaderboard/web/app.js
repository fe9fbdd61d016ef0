/* lawbench leaderboard: renders the data embedded by `lawbench leaderboard build`.
 *
 * Every number is computed in Python; this script only lays it out. Safety rule: text from runs
 * (model outputs, prompts, dataset fields, task and run names) reaches the page only through
 * textContent / createTextNode / setAttribute of non-handler attributes; there is no innerHTML,
 * no HTML templating and no eval. Views are hash routes (#/overview, #/lawshift, ...) so that
 * every view can be linked, also from file://.
 */
(function () {
  "use strict";

  const DATA = JSON.parse(document.getElementById("lawbench-data").textContent);
  let ITEMS = null; // the per-item records are parsed on first use: they can be large
  function items() {
    if (ITEMS === null) ITEMS = JSON.parse(document.getElementById("lawbench-items").textContent);
    return ITEMS;
  }
  const STAGES = DATA.stages;
  const STAGE = Object.fromEntries(STAGES.map((s) => [s.id, s]));
  const SVGNS = "http://www.w3.org/2000/svg";

  // ------------------------------------------------------------------ DOM helpers
  function setAttrs(el, attrs) {
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (/^on/i.test(key)) throw new Error("event-handler attributes are not allowed: " + key);
      if (key === "href" && !/^(#|exports\/)/.test(String(value))) throw new Error("unexpected link: " + value);
      if (key === "class") el.setAttribute("class", value);
      else el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  function append(el, kids) {
    for (const kid of kids.flat(Infinity)) {
      if (kid === null || kid === undefined || kid === false) continue;
      el.appendChild(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
  }
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    setAttrs(el, attrs);
    return append(el, kids);
  }
  function s(tag, attrs, ...kids) {
    const el = document.createElementNS(SVGNS, tag);
    setAttrs(el, attrs);
    return append(el, kids);
  }
  function on(el, event, handler) {
    el.addEventListener(event, handler);
    return el;
  }

  // ------------------------------------------------------------------ formatting
  const fmt = (x, d = 3) => (x === null || x === undefined ? "–" : Number(x).toFixed(d));
  const signed = (x, d = 3) => (x === null || x === undefined ? "–" : (x > 0 ? "+" : x < 0 ? "−" : "") + Math.abs(x).toFixed(d));
  const tick = (v) => (v !== 0 && Math.abs(v) < 1e-2 ? v.toExponential(1) : Number(v.toPrecision(3)).toString());
  const ci = (lo, hi, sign) => (lo === null || lo === undefined ? "" : "[" + (sign ? signed(lo) : fmt(lo)) + ", " + (sign ? signed(hi) : fmt(hi)) + "]");
  const label = (id) => (STAGE[id] ? (STAGE[id].stage === id ? id : STAGE[id].stage + " (" + id + ")") : id);
  const guardText = (status) => (DATA.meta.guard[status] || { text: status }).text;
  const guardAllowed = (status) => (DATA.meta.guard[status] || { allowed: false }).allowed;

  // ------------------------------------------------------------------ routing
  function route() {
    let raw = location.hash.replace(/^#\/?/, "").split("?")[0];
    try { raw = decodeURIComponent(raw); } catch (err) { /* a malformed link: keep it as typed */ }
    raw = raw || "overview";
    const query = location.hash.includes("?") ? location.hash.slice(location.hash.indexOf("?") + 1) : "";
    return { view: raw, params: new URLSearchParams(query) };
  }
  function link(view, params) {
    const clean = Object.fromEntries(Object.entries(params || {}).filter(([, v]) => v !== null && v !== undefined && v !== ""));
    const query = new URLSearchParams(clean).toString();
    return "#/" + view + (query ? "?" + query : "");
  }
  function go(view, params) {
    location.hash = link(view, params);
  }
  function withParam(params, key, value) {
    const next = Object.fromEntries(params.entries());
    if (value === null || value === undefined || value === "") delete next[key];
    else next[key] = value;
    return next;
  }

  function select(options, value, onChange, attrs) {
    const el = h("select", attrs || {}, options.map(([v, text]) => {
      const option = h("option", { value: v }, text);
      if (v === value) option.selected = true;
      return option;
    }));
    return on(el, "change", () => onChange(el.value));
  }

  const VIEWS = {};
  const app = document.getElementById("app");

  function render() {
    const { view, params } = route();
    for (const a of document.querySelectorAll("#nav a")) {
      const active = a.dataset.view === view || (view === "items" || view === "item" ? a.dataset.view === "transitions" : false);
      a.classList.toggle("active", active);
    }
    app.replaceChildren();
    const draw = VIEWS[view];
    if (!draw) {
      append(app, [h("h2", {}, "Not found"), h("p", {}, "No view named " + view + ". "), h("a", { href: "#/overview" }, "Back to the overview")]);
      return;
    }
    draw(params);
    document.title = DATA.meta.title + " · " + (document.querySelector("#app h2") || { textContent: view }).textContent;
  }

  // ------------------------------------------------------------------ overview
  function groupFilter(row, group) {
    if (!group) return true;
    if (group === "@top") return row.depth === 0;
    return row.node === group || row.ancestors.includes(group);
  }
  function metricFilter(row, metric) {
    if (!metric || metric === "@primary") return row.primary;
    if (metric === "@all") return true;
    return row.metric === metric;
  }
  // Compact cells: the score and its change vs the parent, shaded by that change; the 95% intervals sit in
  // each cell's tooltip and show in the cell with "show 95% CIs" (?ci=1, every view that has the box).
  const showCI = (params) => params.get("ci") === "1";
  function ciToggle(view, params) {
    const box = h("input", { type: "checkbox", id: "ci-toggle" });
    box.checked = showCI(params);
    on(box, "change", () => go(view, withParam(params, "ci", box.checked ? "1" : "")));
    return h("label", { title: "Compact by default: each cell's tooltip has the 95% intervals" }, box, " show 95% CIs" + (view === "overview" ? " and Δ vs base" : ""));
  }
  const zeroWidth = (lo, hi) => lo !== null && lo !== undefined && lo === hi;
  const DEGENERATE = {
    score: ["all items alike", "zero-width interval: every item scored the same, so resampling the items cannot move the mean (a real interval needs items that differ)"],
    change: ["every item moved alike", "zero-width interval: every paired item changed by the same amount, so resampling cannot move the difference"],
    none: ["no item changed", "zero-width interval: no paired item changed, so resampling cannot move the difference from 0"],
  };
  const degenerateKind = (kind, lo) => (kind === "change" && lo === 0 ? "none" : kind);
  function degenerateNote(kind, lo, hi) {
    if (!zeroWidth(lo, hi)) return null;
    const [text, why] = DEGENERATE[degenerateKind(kind, lo)];
    return h("div", { class: "degenerate", title: why }, "⌀ " + text);
  }
  // Diverging shading: green better, red worse (blue where the metric has no direction); darker with the size of
  // the change relative to the largest change of that metric; a significant change (CI excludes 0) much darker.
  const SHADE_RGB = { better: "30,150,70", worse: "210,50,50", neutral: "60,110,200" };
  const SHADE_SCALE = {};
  for (const r of DATA.rows) {
    for (const c of Object.values(r.vs_parent)) {
      if (c && typeof c.diff === "number" && guardAllowed(c.status)) SHADE_SCALE[r.metric] = Math.max(SHADE_SCALE[r.metric] || 0, Math.abs(c.diff));
    }
  }
  function shade(td, change, scale, higherIsBetter) {
    if (!change || typeof change.diff !== "number" || change.diff === 0 || !guardAllowed(change.status)) return td;
    const tone = higherIsBetter === undefined || higherIsBetter === null ? "neutral" : (change.diff > 0) === higherIsBetter ? "better" : "worse";
    const strength = Math.min(1, Math.abs(change.diff) / (scale || Math.abs(change.diff)));
    const alpha = change.significant ? 0.16 + 0.4 * strength : 0.04 + 0.12 * strength;
    td.style.backgroundColor = "rgba(" + SHADE_RGB[tone] + "," + alpha.toFixed(3) + ")";
    td.dataset.shade = tone + (change.significant ? " sig" : "");
    return td;
  }
  function changeLine(change, versus) {
    if (!change) return null;
    if (!guardAllowed(change.status)) return "Δ vs " + versus + ": " + guardText(change.status);
    return "Δ vs " + versus + " " + signed(change.diff) + " " + ci(change.lo, change.hi, true) + (change.significant ? ", significant" : "") +
      (change.status !== "ok" ? " († " + guardText(change.status) + ")" : "") + (change.n ? " · n=" + change.n : "") +
      (zeroWidth(change.lo, change.hi) ? "\n  " + DEGENERATE[degenerateKind("change", change.lo)][1] : "");
  }
  function changeNode(change, kind) {
    // reference columns show the paired change of the focus stage (the last one) against them
    const prefix = kind === "parent" ? "Δp " : kind === "base" ? "Δb " : "Δ" + label(DATA.meta.reference_focus) + " ";
    if (!change) return null;
    const cls = ["chg", "chg-" + kind];
    if (!guardAllowed(change.status)) {
      return h("div", { class: cls.concat("blocked").join(" "), title: guardText(change.status), "data-status": change.status },
        prefix + "≠ not comparable");
    }
    if (change.significant) cls.push("sig", change.better === undefined ? "neutral" : change.better ? "better" : "worse");
    if (change.diff === 0) cls.push("nochange");
    const mark = change.significant ? (change.direction === "up" ? " ▲" : " ▼") : "";
    const flag = change.status !== "ok" ? " †" : "";
    return h("div", { class: cls.join(" "), "data-status": change.status },
      prefix + signed(change.diff) + " ", h("span", { class: "ci" }, ci(change.lo, change.hi, true)), mark + flag,
      degenerateNote("change", change.lo, change.hi));
  }
  function scoreCell(row, stageId) {
    const cell = row.cells[stageId];
    if (!cell) return h("td", { class: "empty", "data-stage": stageId }, "–");
    const st = STAGE[stageId];
    const showBase = st.root !== st.parent;
    const title = [label(stageId) + " · " + row.node + " · " + row.metric,
      "score " + fmt(cell.score) + " " + ci(cell.lo, cell.hi) + (cell.ci === "stderr" ? " (95% CI from lm-eval stderr)" : cell.ci ? " (95% bootstrap CI)" : "") + " · n=" + (cell.n === null || cell.n === undefined ? "?" : cell.n),
      zeroWidth(cell.lo, cell.hi) ? "  " + DEGENERATE.score[1] : null,
      changeLine(row.vs_parent[stageId], st.parent ? label(st.parent) : "parent"),
      showBase ? changeLine(row.vs_base[stageId], label(st.root)) : null].filter(Boolean).join("\n");
    return shade(h("td", { "data-stage": stageId, title },
      h("div", { class: "score" }, fmt(cell.score)),
      h("div", { class: "ci" }, ci(cell.lo, cell.hi)),
      degenerateNote("score", cell.lo, cell.hi),
      changeNode(row.vs_parent[stageId], "parent"),
      showBase ? changeNode(row.vs_base[stageId], "base") : null,
      changeNode((row.vs_reference || {})[stageId], "reference")), row.vs_parent[stageId], SHADE_SCALE[row.metric], row.higher_is_better);
  }
  // Sticky columns: the metric column sticks right of the task column, whatever width that one took.
  function stickColumns(table) {
    const first = table.querySelector("thead th.task-col");
    if (first) table.style.setProperty("--sticky-2", first.getBoundingClientRect().width + "px");
  }

  VIEWS.overview = function (params) {
    const metric = params.get("metric") || "@primary";
    const group = params.get("group") || "";
    const sort = params.get("sort") || "";
    const dir = params.get("dir") === "asc" ? "asc" : "desc";
    const hidden = new Set((params.get("hide") || "").split(",").filter(Boolean));
    const shown = STAGES.filter((st) => !hidden.has(st.id));
    const metrics = [...new Set(DATA.rows.map((r) => r.metric))].sort();

    let rows = DATA.rows.filter((r) => groupFilter(r, group) && metricFilter(r, metric));
    if (sort) {
      const key = (r) => (sort === "@task" ? r.node + "|" + r.metric : r.cells[sort] ? r.cells[sort].score : null);
      rows = rows.slice().sort((a, b) => {
        const x = key(a), y = key(b);
        if (x === null || y === null) return x === null ? (y === null ? 0 : 1) : -1; // empty cells last
        const c = x < y ? -1 : x > y ? 1 : 0;
        return dir === "asc" ? c : -c;
      });
    }

    const controls = h("div", { class: "controls" },
      h("label", {}, "Metric ", select([["@primary", "primary metric of each task"], ["@all", "all metrics"], ...metrics.map((m) => [m, m])],
        metric, (v) => go("overview", withParam(params, "metric", v === "@primary" ? "" : v)), { id: "metric-select" })),
      h("label", {}, "Task group ", select([["", "all tasks and groups"], ["@top", "top level only"], ...DATA.groups.map((g) => [g, g])],
        group, (v) => go("overview", withParam(params, "group", v)), { id: "group-select" })),
      ciToggle("overview", params),
      h("span", { class: "picker", id: "column-picker" }, "Columns: ", STAGES.map((st) => {
        const box = h("input", { type: "checkbox", "data-stage": st.id });
        box.checked = !hidden.has(st.id);
        on(box, "change", () => {
          const next = new Set(hidden);
          if (box.checked) next.delete(st.id); else next.add(st.id);
          go("overview", withParam(params, "hide", [...next].join(",")));
        });
        return h("label", {}, box, label(st.id));
      })));

    const sortLink = (key, text) => {
      const active = sort === key;
      const nextDir = active && dir === "desc" ? "asc" : "desc";
      return h("a", { href: link("overview", { ...Object.fromEntries(params.entries()), sort: key, dir: nextDir }), class: "sort" + (active ? " active" : "") },
        text, active ? (dir === "desc" ? " ▼" : " ▲") : "");
    };
    const head = h("tr", {},
      h("th", { class: "task-col" }, sortLink("@task", "Task")),
      h("th", { class: "metric-col" }, "Metric"),
      shown.map((st) => h("th", { "data-stage": st.id },
        sortLink(st.id, label(st.id)),
        h("div", { class: "lineage" }, st.parent ? "← " + label(st.parent) : "root"))));
    const body = rows.map((r) => h("tr", { "data-row": r.id, class: r.kind },
      h("td", { class: "task", title: r.node }, h("span", { class: "indent d" + (sort ? 0 : Math.min(r.depth, 4)) }, r.node)),
      h("td", { class: "metric" }, r.metric + (r.filter !== "none" ? " (" + r.filter + ")" : "")),
      shown.map((st) => scoreCell(r, st.id))));

    const table = h("table", { id: "overview-table", class: "grid sticky" + (showCI(params) ? "" : " compact") }, h("thead", {}, head), h("tbody", {}, body));
    append(app, [
      h("h2", {}, "Overview"),
      h("p", { class: "lead" }, "Stages in lineage order (depth-first from the base). Each cell: the score and Δp, its change vs the parent stage on the items both runs scored; the cell is shaded by that change (green better, red worse, darker when its paired-bootstrap 95% CI excludes 0, marked ▲/▼). Hover a cell for the 95% CIs and Δb, the change vs the base, or tick \"show 95% CIs\". † a change measured on a subset of the items or without per-item samples; ≠ not comparable (task version, documents or prompts differ); ⌀ a zero-width interval: every item alike, so the bootstrap has nothing to vary."),
      controls,
      rows.length ? h("div", { class: "table-wrap", id: "overview-wrap" }, table) : h("p", { class: "empty-note" }, "No rows match the filters."),
    ]);
    if (rows.length) stickColumns(table);
  };

  // ------------------------------------------------------------------ statute shift
  function blockLabel(name) {
    if (name === "pooled") return "all scenarios";
    if (name.startsWith("type:")) return "type " + name.slice(5);
    const scenario = name.slice(9);
    const info = DATA.lawshift.scenarios[scenario] || {};
    return (info.code ? info.code + " " : "") + scenario + (info.type ? " (" + info.type + ")" : "");
  }
  function valueCell(v, signedValue, attrs) {
    if (!v) return h("td", { class: "empty" }, "–");
    return h("td", { ...(attrs || {}), title: (signedValue ? signed(v.score) : fmt(v.score)) + " " + ci(v.lo, v.hi, signedValue) + " (95% bootstrap CI over cases)" + (zeroWidth(v.lo, v.hi) ? "\n" + DEGENERATE.score[1] : "") },
      h("div", { class: "score" }, signedValue ? signed(v.score) : fmt(v.score)), h("div", { class: "ci" }, ci(v.lo, v.hi, signedValue)),
      degenerateNote("score", v.lo, v.hi));
  }
  // Stage pairs (each stage vs its parent), the pair whose items changed most first (ties: lineage order).
  function pairsByChange(pairs, count) {
    return pairs.filter((p) => p.relation === "parent").map((p, i) => [p, i])
      .sort((x, y) => (count(y[0]) - count(x[0])) || (x[1] - y[1])).map(([p]) => p);
  }
  const changedText = (n) => (n === undefined ? "" : " · " + n + " item" + (n === 1 ? "" : "s") + " changed");

  VIEWS.lawshift = function (params) {
    const L = DATA.lawshift;
    append(app, [h("h2", {}, "Statute shift (LawShift)")]);
    if (!L) {
      append(app, [h("p", { class: "empty-note" }, "None of the runs has LawShift items (tasks lawshift_<scenario>_<original|poisoned>).")]);
      return;
    }
    const metric = L.metrics.includes(params.get("metric")) ? params.get("metric") : (L.primary || L.metrics[0]);
    const all = STAGES.filter((st) => L.stages[st.id]);
    const pairs = pairsByChange(DATA.pairs.filter((p) => L.stages[p.a] && L.stages[p.b]), (p) => p.lawshift_changes || 0);
    const pair = params.get("stages") === "all" ? null : pairs.find((p) => p.a === params.get("a") && p.b === params.get("b")) || pairs[0] || null;
    const stages = pair ? all.filter((st) => st.id === pair.a || st.id === pair.b) : all;
    const picked = (st) => (pair && (st.id === pair.a || st.id === pair.b) ? "picked" : null);
    const blocks = ["pooled", ...L.types.map((t) => "type:" + t)];
    const notes = all.filter((st) => L.stages[st.id].rescored_differ || L.stages[st.id].unpaired).map((st) =>
      h("p", { class: "flag" }, label(st.id) + ": " + L.stages[st.id].rescored_differ + " item(s) score differently with today's scorer than in the run; " +
        L.stages[st.id].unpaired + " item(s) without their other side (left out)."));
    const compact = showCI(params) ? "" : " compact";
    append(app, [
      h("p", { class: "lead" }, "Each case appears twice: under the original statute and under a changed (\"poisoned\") one. Accuracy is re-scored from the outputs with lawbench's shared scorer; CIs (in each cell's tooltip, or ticked in) are 95% bootstraps over cases; the shift gap is poisoned minus original on the same cases. The view opens on the stage and its parent whose answers changed most."),
      h("div", { class: "controls" },
        h("label", {}, "Stages ", select([...pairs.map((p) => [pairKey(p), label(p.a) + " → " + label(p.b) + changedText(p.lawshift_changes)]), ["all", "all stages"]],
          pair ? pairKey(pair) : "all", (v) => {
            const p = pairs.find((x) => pairKey(x) === v);
            const next = Object.fromEntries(params.entries());
            delete next.a; delete next.b; delete next.stages;
            go("lawshift", p ? { ...next, a: p.a, b: p.b } : { ...next, stages: "all" });
          }, { id: "lawshift-pair" })),
        h("label", {}, "Metric ", select(L.metrics.map((m) => [m, m + (m === L.primary ? " (primary)" : "")]), metric,
          (v) => go("lawshift", withParam(params, "metric", v)), { id: "lawshift-metric" })),
        ciToggle("lawshift", params)),
      notes,
    ]);

    // 1. original vs poisoned per scenario type
    const head1 = [h("tr", {}, h("th", { rowspan: 2, class: "task-col" }, "Scenarios"), stages.map((st) => h("th", { colspan: 3, "data-stage": st.id }, label(st.id)))),
      h("tr", {}, stages.map(() => [h("th", {}, "original"), h("th", {}, "poisoned"), h("th", {}, "gap")]))];
    const body1 = blocks.map((b) => h("tr", { "data-block": b }, h("td", { class: "task" }, blockLabel(b)), stages.map((st) => {
      const blk = L.stages[st.id].blocks[b];
      if (!blk) return [h("td", { class: "empty" }, "–"), h("td", { class: "empty" }, "–"), h("td", { class: "empty" }, "–")];
      const m = blk.metrics[metric];
      return [valueCell(m.original), valueCell(m.poisoned), valueCell(m.gap, true)];
    })));
    append(app, [h("h3", {}, "Original vs poisoned accuracy by scenario type" + (pair ? ": " + label(pair.a) + " → " + label(pair.b) : "")),
      h("div", { class: "scroll" }, h("table", { id: "lawshift-types", class: "grid" + compact }, h("thead", {}, head1), h("tbody", {}, body1)))]);

    // 2. shift gap across all stages, with the paired change vs the parent (shaded by it)
    const gapScale = Math.max(0, ...all.flatMap((st) => Object.values(L.stages[st.id].vs_parent || {})
      .map((c) => (c.metrics ? Math.abs(c.metrics[metric].diff) : 0))));
    const body2 = blocks.map((b) => h("tr", { "data-block": b }, h("td", { class: "task" }, blockLabel(b)), all.map((st) => {
      const blk = L.stages[st.id].blocks[b];
      if (!blk) return h("td", { class: "empty" }, "–");
      const gap = blk.metrics[metric].gap;
      const change = (L.stages[st.id].vs_parent || {})[b];
      let changeEl = null, shown = null;
      if (change && change.metrics) {
        const m = change.metrics[metric];
        shown = { status: change.status, n: change.n, ...m, direction: m.diff > 0 ? "up" : "down", better: m.diff > 0 };
        changeEl = changeNode(shown, "parent");
      } else if (change) changeEl = changeNode({ status: change.status }, "parent");
      const td = h("td", { "data-stage": st.id, class: picked(st), title: "gap " + signed(gap.score) + " " + ci(gap.lo, gap.hi, true) + (shown ? "\n" + changeLine(shown, label(st.parent)) : "") },
        h("div", { class: "score" }, signed(gap.score)), h("div", { class: "ci" }, ci(gap.lo, gap.hi, true)), degenerateNote("score", gap.lo, gap.hi), changeEl);
      return shown ? shade(td, shown, gapScale, true) : td;
    })));
    append(app, [h("h3", {}, "Shift gap across stages (poisoned − original; Δp: its change vs the parent, higher is better)"),
      h("div", { class: "scroll" }, h("table", { id: "lawshift-gap", class: "grid" + compact },
        h("thead", {}, h("tr", {}, h("th", { class: "task-col" }, "Scenarios"), all.map((st) => h("th", { "data-stage": st.id, class: picked(st) }, label(st.id))))), h("tbody", {}, body2)))]);

    // 3. 2x2 tables
    const tableBlock = blocks.includes(params.get("block")) ? params.get("block") : "pooled";
    const binary = L.binary.includes(metric);
    const twoByTwo = stages.map((st) => {
      const blk = L.stages[st.id].blocks[tableBlock];
      const t = blk && blk.metrics[metric].table;
      if (!t) return h("div", { class: "twobytwo" }, h("h4", {}, label(st.id)), h("p", { class: "empty-note" }, "–"));
      return h("div", { class: "twobytwo", "data-stage": st.id }, h("h4", {}, label(st.id)),
        h("table", { class: "grid small" },
          h("tr", {}, h("th", {}, ""), h("th", {}, "poisoned right"), h("th", {}, "poisoned wrong")),
          h("tr", {}, h("th", {}, "original right"), h("td", { "data-cell": "rr" }, String(t.rr)), h("td", { "data-cell": "rw", class: "warn" }, String(t.rw))),
          h("tr", {}, h("th", {}, "original wrong"), h("td", { "data-cell": "wr" }, String(t.wr)), h("td", { "data-cell": "ww" }, String(t.ww)))));
    });
    append(app, [h("h3", {}, "Right / wrong on original × on poisoned (" + metric + ")"),
      h("div", { class: "controls" }, h("label", {}, "Scenarios ", select(blocks.map((b) => [b, blockLabel(b)]), tableBlock,
        (v) => go("lawshift", withParam(params, "block", v)), { id: "lawshift-block" }))),
      binary ? h("div", { id: "lawshift-2x2", class: "cards" }, twoByTwo) : h("p", { class: "empty-note" }, metric + " is not a right/wrong metric; pick another one.")]);

    // 4. stale-law rate, all stages
    const staleRows = blocks.map((b) => h("tr", { "data-block": b }, h("td", { class: "task" }, blockLabel(b)), all.map((st) => {
      const blk = L.stages[st.id].blocks[b];
      if (!blk) return h("td", { class: "empty" }, "–");
      if (!blk.stale) return h("td", { class: "empty", title: "not defined for V scenarios: both statutes expect a crime" }, "n/a");
      return h("td", { "data-stage": st.id, class: picked(st), title: blk.stale.k + " of " + blk.stale.n + " poisoned-side answers; 95% Wilson interval " + ci(blk.stale.lo, blk.stale.hi) },
        h("div", { class: "score" }, fmt(blk.stale.rate)), h("div", { class: "count" }, blk.stale.k + "/" + blk.stale.n),
        h("div", { class: "ci" }, ci(blk.stale.lo, blk.stale.hi)));
    })));
    append(app, [h("h3", {}, "Stale-law rate"),
      h("p", {}, "Share of poisoned-side answers that pass the verdict check of the original statute and fail the changed statute's (NV: still predicts a crime; TU: a term in [36, 120); TD: a term in (36, 120]; XT: a numeric term in [36, 120]; NX: still death/life). Not defined for V scenarios, where both statutes expect a crime; pooled over the other types. 95% Wilson interval."),
      h("div", { class: "scroll" }, h("table", { id: "lawshift-stale", class: "grid" + compact },
        h("thead", {}, h("tr", {}, h("th", { class: "task-col" }, "Scenarios"), all.map((st) => h("th", { "data-stage": st.id, class: picked(st) }, label(st.id))))), h("tbody", {}, staleRows)))]);

    // 5. per scenario
    const names = Object.keys(L.scenarios);
    const scenarioRows = names.map((n) => h("tr", {}, h("td", { class: "task" }, blockLabel("scenario:" + n)), stages.map((st) => {
      const blk = L.stages[st.id].blocks["scenario:" + n];
      if (!blk) return [h("td", { class: "empty" }, "–"), h("td", { class: "empty" }, "–")];
      return [valueCell(blk.metrics[metric].original), valueCell(blk.metrics[metric].poisoned)];
    })));
    append(app, [h("details", {}, h("summary", {}, "Per scenario (" + names.length + ")"),
      h("div", { class: "scroll" }, h("table", { class: "grid" + compact },
        h("thead", {}, h("tr", {}, h("th", { rowspan: 2, class: "task-col" }, "Scenario"), stages.map((st) => h("th", { colspan: 2 }, label(st.id)))),
          h("tr", {}, stages.map(() => [h("th", {}, "original"), h("th", {}, "poisoned")]))),
        h("tbody", {}, scenarioRows))))]);
    ragSection(metric);
  };

  // Runs with `lawbench eval --rag`: retrieval recall, and the accuracy lost against the gold-article run.
  function ragSection(metric) {
    const R = DATA.rag;
    if (!R) return;
    const m = R.metrics.includes(metric) ? metric : R.metrics[0];
    const rows = R.runs.flatMap((r) => Object.entries(r.groups).map(([g, v]) => {
      const s = v.metrics[m] || {};
      return h("tr", { "data-run": r.run }, h("td", {}, label(r.run)), h("td", {}, g),
        h("td", {}, (r.index.retriever || "") + " k=" + r.index.k), h("td", {}, fmt(v.retrieval_recall)),
        h("td", {}, r.gold_run ? label(r.gold_run) + " " + fmt(s.gold) : "–"), h("td", {}, fmt(s.rag)), h("td", {}, fmt(s.cost)));
    }));
    append(app, [h("h3", {}, "Retrieval (--rag)"),
      h("p", {}, "Prompts with the top-k provisions retrieved from a statute index instead of the gold articles. Cost = " + m + " with the gold articles (same model) minus " + m + " with retrieval."),
      h("div", { class: "scroll" }, h("table", { id: "lawshift-rag", class: "grid" },
        h("thead", {}, h("tr", {}, ["Run", "Group", "Retriever", "retrieval_recall", "Gold-article run", "With retrieval", "Cost"].map((t) => h("th", {}, t)))),
        h("tbody", {}, rows)))]);
  }

  // ------------------------------------------------------------------ transitions
  const KINDS = [["fixed", "fixed (wrong → right)"], ["broken", "broken (right → wrong)"], ["still_right", "still right"], ["still_wrong", "still wrong"]];
  const pairKey = (p) => p.a + "\u2192" + p.b;

  VIEWS.transitions = function (params) {
    const T = DATA.transitions;
    append(app, [h("h2", {}, "Item transitions")]);
    const tasks = Object.keys(T);
    if (!tasks.length) {
      append(app, [h("p", { class: "empty-note" }, "No stage pair shares per-item samples with a right/wrong metric.")]);
      return;
    }
    // each stage vs its parent, the pair whose items changed most first; then each stage vs the base
    const known = DATA.pairs.filter((p) => tasks.some((t) => T[t].some((e) => e.a === p.a && e.b === p.b)));
    const pairs = [...pairsByChange(known, (p) => p.changes || 0), ...known.filter((p) => p.relation !== "parent")];
    const pair = pairs.find((p) => p.a === params.get("a") && p.b === params.get("b")) || pairs[0];
    const metrics = [...new Set(tasks.flatMap((t) => T[t].filter((e) => e.a === pair.a && e.b === pair.b).flatMap((e) => Object.keys(e.metrics))))].sort();
    const metric = metrics.includes(params.get("metric")) ? params.get("metric") : "@primary";
    const primaryOf = Object.fromEntries(DATA.rows.filter((r) => r.primary).map((r) => [r.node, r.metric]));
    const filter = params.get("filter") || "";
    append(app, [
      h("p", { class: "lead" }, "Items both stages scored, by how a right/wrong metric moved from the first stage to the second. Each count links to the items side by side. The view opens on the stage and its parent whose items changed most (fixed + broken, each task's primary metric)."),
      h("div", { class: "controls" },
        h("label", {}, "Stages ", select(pairs.map((p) => [pairKey(p), label(p.a) + " → " + label(p.b) + " (" + (p.relation === "parent" || p.relation === "reference" ? p.relation : "base") + ")" + changedText(p.changes)]),
          pairKey(pair), (v) => { const p = pairs.find((x) => pairKey(x) === v); go("transitions", { ...Object.fromEntries(params.entries()), a: p.a, b: p.b }); }, { id: "pair-select" })),
        h("label", {}, "Metric ", select([["@primary", "primary metric of each task"], ...metrics.map((m) => [m, m])], metric, (v) => go("transitions", withParam(params, "metric", v === "@primary" ? "" : v)), { id: "transition-metric" })),
        h("label", {}, "Task filter ", on(h("input", { type: "search", value: filter, placeholder: "substring", id: "task-filter" }), "change", (e) => go("transitions", withParam(params, "filter", e.target.value))))),
    ]);
    const rows = [];
    for (const task of tasks) {
      if (filter && !task.includes(filter)) continue;
      const entry = T[task].find((e) => e.a === pair.a && e.b === pair.b);
      const m = metric === "@primary" ? (entry && entry.metrics[primaryOf[task]] ? primaryOf[task] : entry && Object.keys(entry.metrics).sort()[0]) : metric;
      if (!entry || !entry.metrics[m]) continue;
      const counts = entry.metrics[m];
      rows.push(h("tr", { "data-task": task }, h("td", {}, task), h("td", { class: "metric" }, m),
        KINDS.map(([kind]) => h("td", { class: "count " + kind }, counts[kind].length
          ? h("a", { href: link("items", { task, a: pair.a, b: pair.b, metric: m, kind }), "data-kind": kind }, String(counts[kind].length))
          : h("span", { class: "zero", "data-kind": kind }, "0"))),
        h("td", { class: entry.status === "ok" ? "" : "flag", title: guardText(entry.status) }, entry.status === "ok" ? "" : "† " + entry.status)));
    }
    append(app, [h("div", { class: "scroll" }, h("table", { id: "transitions-table", class: "grid" },
      h("thead", {}, h("tr", {}, h("th", {}, "Task"), h("th", {}, "Metric"), KINDS.map(([, text]) => h("th", {}, text)), h("th", {}, "Guard"))),
      h("tbody", {}, rows)))]);
  };

  function scoresTable(scores) {
    const keys = Object.keys(scores || {}).sort();
    if (!keys.length) return null;
    return h("table", { class: "scores" }, keys.map((k) => h("tr", {}, h("th", {}, k), h("td", {}, typeof scores[k] === "number" ? fmt(scores[k]) : String(scores[k])))));
  }
  function fieldsList(fields, strings) {
    const keys = Object.keys(fields || {});
    if (!keys.length) return null;
    return h("dl", { class: "fields" }, keys.map((k) => [h("dt", {}, k), h("dd", {}, strings[fields[k]])]));
  }
  function stageColumn(stageId, rec, strings) {
    if (!rec) return h("div", { class: "side", "data-stage": stageId }, h("h4", {}, label(stageId)), h("p", { class: "empty-note" }, "not scored in this stage"));
    return h("div", { class: "side", "data-stage": stageId },
      h("h4", {}, label(stageId)),
      h("div", { class: "kv" }, h("span", { class: "k" }, "extracted answer "), h("code", { class: "answer" }, strings[rec.answer] || "(none)")),
      rec.stale !== undefined ? h("div", { class: "kv" + (rec.stale ? " warn" : "") }, "follows the old statute: " + (rec.stale ? "yes" : "no")) : null,
      h("pre", { class: "output", "data-stage": stageId }, strings[rec.output]),
      scoresTable(rec.scores));
  }
  function promptBlock(doc, stageIds, strings) {
    const refs = [...new Set(stageIds.filter((id) => doc.stages[id]).map((id) => doc.stages[id].prompt))];
    return refs.map((ref) => h("details", { class: "prompt" },
      h("summary", {}, refs.length > 1 ? "prompt of " + stageIds.filter((id) => doc.stages[id] && doc.stages[id].prompt === ref).map(label).join(", ") : "prompt"),
      h("pre", {}, strings[ref])));
  }

  const PAGE = 50;
  VIEWS.items = function (params) {
    const task = params.get("task"), a = params.get("a"), b = params.get("b"), metric = params.get("metric"), kind = params.get("kind");
    const entry = (DATA.transitions[task] || []).find((e) => e.a === a && e.b === b);
    const kindText = (KINDS.find(([k]) => k === kind) || [kind, kind])[1];
    append(app, [h("h2", {}, "Items: " + kindText),
      h("p", { class: "crumbs" }, h("a", { href: link("transitions", { a, b, metric }) }, "← transitions"), " · task ", h("code", {}, task || ""), " · ", label(a), " → ", label(b), " · ", metric || "")]);
    if (!entry || !entry.metrics[metric] || !entry.metrics[metric][kind]) {
      append(app, [h("p", { class: "empty-note" }, "No such transition list.")]);
      return;
    }
    if (entry.status !== "ok") append(app, [h("p", { class: "flag" }, "† " + guardText(entry.status))]);
    const ids = entry.metrics[metric][kind];
    const page = Math.max(0, parseInt(params.get("page") || "0", 10) || 0);
    const { strings, tasks } = items();
    const docs = tasks[task] || {};
    const list = ids.slice(page * PAGE, (page + 1) * PAGE).map((docId) => {
      const doc = docs[String(docId)];
      if (!doc) return h("div", { class: "item-card" }, "item " + docId + " has no record");
      return h("article", { class: "item-card", "data-doc": String(docId) },
        h("h3", {}, h("a", { href: link("item", { task, doc: docId, a, b }) }, "item " + docId), " "),
        fieldsList(doc.fields, strings),
        h("div", { class: "kv" }, h("span", { class: "k" }, "gold "), h("code", { class: "gold" }, strings[doc.gold])),
        promptBlock(doc, [a, b], strings),
        h("div", { class: "sides" }, stageColumn(a, doc.stages[a], strings), stageColumn(b, doc.stages[b], strings)));
    });
    const pages = Math.ceil(ids.length / PAGE);
    const nav = pages > 1 ? h("p", { class: "pager" }, page > 0 ? h("a", { href: link("items", { ...Object.fromEntries(params.entries()), page: page - 1 }) }, "← previous") : null,
      " page " + (page + 1) + " of " + pages + " ", page + 1 < pages ? h("a", { href: link("items", { ...Object.fromEntries(params.entries()), page: page + 1 }) }, "next →") : null) : null;
    append(app, [h("p", {}, ids.length + " items"), nav, h("div", { id: "item-list" }, list), nav]);
  };

  VIEWS.item = function (params) {
    const task = params.get("task"), docId = params.get("doc"), a = params.get("a"), b = params.get("b");
    const { strings, tasks } = items();
    const doc = (tasks[task] || {})[docId];
    append(app, [h("h2", {}, "Item " + docId),
      h("p", { class: "crumbs" }, a && b ? [h("a", { href: link("transitions", { a, b }) }, "← transitions"), " · "] : null, "task ", h("code", {}, task || ""))]);
    if (!doc) {
      append(app, [h("p", { class: "empty-note" }, "No such item.")]);
      return;
    }
    const stageIds = STAGES.map((st) => st.id).filter((id) => doc.stages[id]);
    const metricNames = [...new Set(stageIds.flatMap((id) => Object.keys(doc.stages[id].scores || {})))].sort();
    const rows = stageIds.map((id) => {
      const rec = doc.stages[id];
      return h("tr", { "data-stage": id, class: id === a || id === b ? "picked" : "" },
        h("th", {}, label(id)),
        h("td", {}, h("pre", { class: "output", "data-stage": id }, strings[rec.output])),
        h("td", {}, h("code", { class: "answer" }, strings[rec.answer] || "(none)"), rec.stale ? h("div", { class: "warn" }, "follows the old statute") : null),
        metricNames.map((m) => {
          const v = (rec.scores || {})[m];
          return h("td", { class: "num", "data-metric": m }, v === undefined ? "–" : typeof v === "number" ? fmt(v) : String(v));
        }));
    });
    append(app, [h("div", { id: "item-view" },
      fieldsList(doc.fields, strings),
      h("div", { class: "kv" }, h("span", { class: "k" }, "gold "), h("code", { class: "gold" }, strings[doc.gold])),
      promptBlock(doc, stageIds, strings),
      h("div", { class: "scroll" }, h("table", { class: "grid item-table" },
        h("thead", {}, h("tr", {}, h("th", {}, "Stage"), h("th", {}, "Output"), h("th", {}, "Extracted answer"), metricNames.map((m) => h("th", {}, m)))),
        h("tbody", {}, rows))))]);
  };

  // ------------------------------------------------------------------ charts
  function chartRows(group) {
    return DATA.rows.filter((r) => r.primary && (group === "@top" ? r.depth === 0 : groupFilter(r, group)));
  }
  function scale(d0, d1, r0, r1) {
    return (v) => (d1 === d0 ? (r0 + r1) / 2 : r0 + ((v - d0) / (d1 - d0)) * (r1 - r0));
  }
  function slopeChart(row) {
    const W = 300, H = 176, L = 42, R = 10, T = 26, B = 34;
    const ids = STAGES.map((st) => st.id).filter((id) => row.cells[id]);
    const vals = ids.flatMap((id) => [row.cells[id].score, row.cells[id].lo, row.cells[id].hi]).filter((v) => v !== null && v !== undefined);
    let lo = Math.min(...vals), hi = Math.max(...vals);
    if (hi - lo < 1e-9) { lo -= 0.05; hi += 0.05; }
    const x = (id) => L + (STAGES.findIndex((st) => st.id === id) + 0.5) * ((W - L - R) / STAGES.length);
    const y = scale(lo, hi, H - B, T);
    const svg = s("svg", { viewBox: "0 0 " + W + " " + H, class: "chart", role: "img", "aria-label": row.node + " " + row.metric });
    append(svg, [s("text", { x: L, y: 12, class: "title" }, row.node + " · " + row.metric),
      s("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, class: "axis" }),
      s("text", { x: L - 4, y: y(hi) + 4, class: "tick", "text-anchor": "end" }, tick(hi)),
      s("text", { x: L - 4, y: y(lo) + 4, class: "tick", "text-anchor": "end" }, tick(lo))]);
    for (const id of ids) {
      const parent = STAGE[id].parent;
      if (parent && row.cells[parent]) {
        const change = row.vs_parent[id];
        const cls = "slope" + (change && change.significant ? (change.better === false ? " worse" : change.better ? " better" : " neutral") : "");
        append(svg, [s("line", { x1: x(parent), y1: y(row.cells[parent].score), x2: x(id), y2: y(row.cells[id].score), class: cls })]);
      }
    }
    for (const id of ids) {
      const c = row.cells[id];
      if (c.lo !== null && c.lo !== undefined) append(svg, [s("line", { x1: x(id), x2: x(id), y1: y(c.lo), y2: y(c.hi), class: "whisker" })]);
      append(svg, [s("circle", { cx: x(id), cy: y(c.score), r: 3.5, class: "dot" }, s("title", {}, label(id) + ": " + fmt(c.score) + " " + ci(c.lo, c.hi))),
        s("text", { x: x(id), y: H - B + 14, class: "tick", "text-anchor": "middle" }, STAGE[id].stage)]);
    }
    return svg;
  }
  function heatmap(rows, relation) {
    const stages = STAGES.filter((st) => (relation === "base" ? st.root !== st.id : st.parent));
    let maxAbs = 0;
    for (const r of rows) for (const st of stages) {
      const c = (relation === "base" ? r.vs_base : r.vs_parent)[st.id];
      if (c && c.diff !== undefined && c.diff !== null) maxAbs = Math.max(maxAbs, Math.abs(c.diff));
    }
    maxAbs = maxAbs || 1;
    const head = h("tr", {}, h("th", {}, "Task · metric"), stages.map((st) => h("th", {}, label(st.id) + (relation === "base" ? " vs " + label(st.root) : " vs " + label(st.parent)))));
    const body = rows.map((r) => h("tr", {}, h("td", { class: "task" }, r.node + " · " + r.metric), stages.map((st) => {
      const c = (relation === "base" ? r.vs_base : r.vs_parent)[st.id];
      if (!c) return h("td", { class: "empty" }, "");
      if (!guardAllowed(c.status)) return h("td", { class: "blocked", title: guardText(c.status) }, "≠");
      const td = h("td", { class: "heat" + (c.significant ? " sig" : ""), title: signed(c.diff) + " " + ci(c.lo, c.hi, true) }, signed(c.diff, 3) + (c.significant ? "*" : ""));
      const good = r.higher_is_better === false ? -c.diff : c.diff;
      const alpha = Math.min(1, Math.abs(c.diff) / maxAbs) * 0.85;
      td.style.backgroundColor = (r.higher_is_better === null ? "rgba(60,110,200," : good >= 0 ? "rgba(30,150,70," : "rgba(210,50,50,") + alpha.toFixed(3) + ")";
      return td;
    })));
    return h("table", { class: "grid heatmap", id: "heatmap" }, h("thead", {}, head), h("tbody", {}, body));
  }
  const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];
  function lineChart(chart) {
    const W = 320, H = 196, L = 48, R = 10, T = 26, B = 26;
    const names = Object.keys(chart.series).sort();
    const pts = names.flatMap((n) => chart.series[n]);
    const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
    const x = scale(Math.min(...xs), Math.max(...xs), L, W - R), y = scale(Math.min(...ys), Math.max(...ys), H - B, T);
    const svg = s("svg", { viewBox: "0 0 " + W + " " + H, class: "chart", role: "img", "aria-label": chart.title });
    append(svg, [s("text", { x: L, y: 12, class: "title" }, chart.title),
      s("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, class: "axis" }), s("line", { x1: L, x2: L, y1: T, y2: H - B, class: "axis" }),
      s("text", { x: L - 4, y: T + 4, class: "tick", "text-anchor": "end" }, tick(Math.max(...ys))),
      s("text", { x: L - 4, y: H - B, class: "tick", "text-anchor": "end" }, tick(Math.min(...ys))),
      s("text", { x: L, y: H - 8, class: "tick" }, "step " + Math.min(...xs)),
      s("text", { x: W - R, y: H - 8, class: "tick", "text-anchor": "end" }, "step " + Math.max(...xs))]);
    names.forEach((n, i) => {
      const series = chart.series[n];
      const color = PALETTE[i % PALETTE.length];
      const line = s("polyline", { points: series.map((p) => x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1)).join(" "), class: "curve" }, s("title", {}, n));
      line.style.stroke = color;
      append(svg, [line]);
      if (series.length === 1) { const dot = s("circle", { cx: x(series[0][0]), cy: y(series[0][1]), r: 2.5 }); dot.style.fill = color; append(svg, [dot]); }
    });
    const legend = h("div", { class: "legend" }, names.map((n, i) => { const sw = h("span", { class: "swatch" }); sw.style.backgroundColor = PALETTE[i % PALETTE.length]; return h("span", {}, sw, n); }));
    return h("figure", { class: "curve-figure" }, svg, names.length > 1 ? legend : null);
  }

  // Scores while training (lawbench recipe --eval_steps): stages joined along the lineage; x = optimizer steps
  // since the root, each stage's segment starts at its parent's final eval; dot + whisker: the stage's final eval.
  function liveChart(chart) {
    const W = 320, H = 196, L = 48, R = 10, T = 26, B = 26;
    const finalPts = chart.finals.flatMap((f) => [[f.x, f.score], ...(f.lo !== undefined ? [[f.x, f.lo], [f.x, f.hi]] : [])]);
    const pts = chart.segments.flatMap((g) => g.points).concat(finalPts);
    const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
    let lo = Math.min(...ys), hi = Math.max(...ys);
    if (hi - lo < 1e-9) { lo -= 0.05; hi += 0.05; }
    const x = scale(Math.min(...xs), Math.max(...xs), L, W - R), y = scale(lo, hi, H - B, T);
    const color = (id) => PALETTE[Math.max(0, STAGES.findIndex((st) => st.id === id)) % PALETTE.length];
    const svg = s("svg", { viewBox: "0 0 " + W + " " + H, class: "chart live-chart", role: "img", "aria-label": chart.node + " " + chart.metric + " during training", "data-node": chart.node });
    append(svg, [s("text", { x: L, y: 12, class: "title" }, chart.node + " · " + chart.metric),
      s("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, class: "axis" }), s("line", { x1: L, x2: L, y1: T, y2: H - B, class: "axis" }),
      s("text", { x: L - 4, y: T + 4, class: "tick", "text-anchor": "end" }, tick(hi)),
      s("text", { x: L - 4, y: H - B, class: "tick", "text-anchor": "end" }, tick(lo)),
      s("text", { x: L, y: H - 8, class: "tick" }, "step " + Math.min(...xs)),
      s("text", { x: W - R, y: H - 8, class: "tick", "text-anchor": "end" }, "step " + Math.max(...xs))]);
    for (const f of chart.finals) append(svg, [s("line", { x1: x(f.x), x2: x(f.x), y1: T, y2: H - B, class: "stage-end" }, s("title", {}, "end of " + label(f.stage)))]);
    for (const g of chart.segments) {
      const line = s("polyline", { points: g.points.map((p) => x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1)).join(" "), class: "curve", "data-stage": g.stage }, s("title", {}, label(g.stage)));
      line.style.stroke = color(g.stage);
      append(svg, [line]);
      for (const p of g.points.slice(1)) { const dot = s("circle", { cx: x(p[0]), cy: y(p[1]), r: 2 }, s("title", {}, label(g.stage) + " · step " + p[0] + ": " + fmt(p[1]))); dot.style.fill = color(g.stage); append(svg, [dot]); }
    }
    for (const f of chart.finals) {
      if (f.lo !== undefined) append(svg, [s("line", { x1: x(f.x), x2: x(f.x), y1: y(f.lo), y2: y(f.hi), class: "whisker" })]);
      append(svg, [s("circle", { cx: x(f.x), cy: y(f.score), r: 3.5, class: "dot final" }, s("title", {}, label(f.stage) + " final eval: " + fmt(f.score) + " " + ci(f.lo, f.hi)))]);
    }
    const shown = STAGES.filter((st) => chart.segments.some((g) => g.stage === st.id));
    const legend = h("div", { class: "legend" }, shown.map((st) => { const sw = h("span", { class: "swatch" }); sw.style.backgroundColor = color(st.id); return h("span", {}, sw, label(st.id)); }));
    return h("figure", { class: "curve-figure" }, svg, legend);
  }
  function liveSection(group) {
    const live = DATA.live || { charts: [], eval_seconds: {} };
    const charts = live.charts.filter((c) => c.primary && (group === "@top" ? c.depth === 0 : groupFilter(c, group)));
    const cost = Object.entries(live.eval_seconds || {}).map(([id, sec]) => label(id) + " " + fmt(sec, 1) + " s").join(" · ");
    return [h("h3", {}, "Scores during training (lawbench recipe --eval_steps; stages joined in lineage order, dot and 95% CI: the stage's final eval)"),
      charts.length ? h("div", { class: "cards", id: "live-charts" }, charts.map(liveChart))
        : h("p", { class: "empty-note" }, "No lawbench/<task>/<metric> entries in the trainer states (train with --eval_tasks T --eval_steps N)."),
      cost ? h("p", { class: "lead", id: "live-cost" }, "Time spent scoring while training: " + cost) : null];
  }

  VIEWS.charts = function (params) {
    const group = params.has("group") ? params.get("group") : "@top";
    const relation = params.get("vs") === "base" ? "base" : "parent";
    const rows = chartRows(group);
    append(app, [h("h2", {}, "Charts"),
      h("div", { class: "controls" },
        h("label", {}, "Tasks ", select([["@top", "groups and ungrouped tasks"], ["", "all tasks"], ...DATA.groups.map((g) => [g, g])], group,
          (v) => go("charts", withParam(params, "group", v === "" ? "" : v)), { id: "chart-group" })),
        h("label", {}, "Heatmap vs ", select([["parent", "parent stage"], ["base", "base"]], relation, (v) => go("charts", withParam(params, "vs", v)), { id: "heatmap-vs" }))),
      h("h3", {}, "Scores across stages (95% CI whiskers; lines follow the lineage, coloured where the change is significant)"),
      h("div", { class: "cards", id: "slope-charts" }, rows.map(slopeChart)),
      h("h3", {}, "Changes vs " + (relation === "base" ? "base" : "parent") + " (* paired-bootstrap 95% CI excludes 0; ≠ not comparable)"),
      h("div", { class: "scroll" }, heatmap(rows, relation)),
      liveSection(group),
      h("h3", {}, "Training curves")]);
    const staged = STAGES.filter((st) => DATA.curves[st.id]);
    if (!staged.length) append(app, [h("p", { class: "empty-note" }, "No trainer_state.json found (looked in RUNS/../checkpoints/<stage>/ and next to each manifest's model).")]);
    for (const st of staged) {
      const c = DATA.curves[st.id];
      append(app, [h("section", { class: "curves", "data-stage": st.id }, h("h4", {}, label(st.id) + " · " + c.source + (c.global_step !== null && c.global_step !== undefined ? " · " + c.global_step + " steps" : "")),
        h("div", { class: "cards" }, c.charts.map(lineChart)))]);
    }
  };

  // ------------------------------------------------------------------ run details
  function valueNode(value) {
    if (value === null || value === undefined) return h("span", { class: "null" }, "null");
    if (Array.isArray(value)) return value.length && value.every((v) => typeof v !== "object" || v === null) ? h("code", {}, value.map(String).join(" ")) : h("ol", {}, value.map((v) => h("li", {}, valueNode(v))));
    if (typeof value === "object") {
      const keys = Object.keys(value);
      if (!keys.length) return h("span", { class: "null" }, "{}");
      return h("table", { class: "kvtable" }, keys.map((k) => h("tr", {}, h("th", {}, k), h("td", {}, valueNode(value[k])))));
    }
    return h("code", {}, String(value));
  }
  VIEWS.runs = function () {
    append(app, [h("h2", {}, "Run details"), h("p", { class: "lead" }, "Each run's manifest (model fingerprint, library versions, data hashes, generation settings, timings) and the comparability guard: a change is hidden between runs whose task version, documents or prompts differ.")]);
    const tv = DATA.task_versions;
    const head = h("tr", {}, h("th", {}, "Task"), STAGES.map((st) => h("th", {}, label(st.id))));
    const body = Object.keys(tv).map((task) => h("tr", { "data-task": task }, h("td", {}, task), STAGES.map((st) => {
      const info = tv[task][st.id];
      if (!info) return h("td", { class: "empty" }, "–");
      const status = info.vs_parent;
      const cls = status === undefined || status === "ok" ? "" : guardAllowed(status) ? "flag" : "blocked";
      return h("td", { class: cls, title: status ? "vs parent: " + guardText(status) : "" , "data-status": status || "" },
        "v" + info.version + " · " + (info.hash ? info.hash.slice(0, 8) : "no hash"), status && status !== "ok" ? " (" + status + ")" : "");
    })));
    const labels = DATA.run_summary[STAGES[0].id].map((r) => r[0]);
    const valueOf = (id, i) => (DATA.run_summary[id][i] || [])[1];
    const glance = labels.map((name, i) => h("tr", {}, h("th", {}, name), STAGES.map((st) => {
      const v = valueOf(st.id, i);
      const changed = st.parent && i > 2 && valueOf(st.parent, i) !== v; // stage, parent and file always differ
      return h("td", { class: changed ? "changed" : "", title: changed ? "differs from " + label(st.parent) : "" }, v === null ? "–" : v);
    })));
    append(app, [h("h3", {}, "Runs at a glance (shaded: differs from the parent stage's run)"),
      h("div", { class: "scroll" }, h("table", { class: "grid", id: "runs-table" },
        h("thead", {}, h("tr", {}, h("th", {}, ""), STAGES.map((st) => h("th", {}, label(st.id))))), h("tbody", {}, glance)))]);
    append(app, [h("h3", {}, "Comparability guard: task versions and hashes (vs the parent stage)"), h("div", { class: "scroll" }, h("table", { class: "grid", id: "guard-table" }, h("thead", {}, head), h("tbody", {}, body)))]);
    append(app, [h("h3", {}, "Manifests")]);
    for (const st of STAGES) {
      append(app, [h("details", { class: "run", "data-stage": st.id }, h("summary", {}, label(st.id) + " — folder " + st.id + ", parent " + (st.parent ? label(st.parent) : "none")),
        valueNode(DATA.runs[st.id]))]);
    }
  };

  // ------------------------------------------------------------------ judged (lawbench.leaderboard.judged)
  VIEWS.judged = function () {
    const J = DATA.judged;
    append(app, [h("h2", {}, "Judged"), h("p", { class: "lead" }, "What each stage bought, in a judge's words: an LLM judge compares the stage's answer with its parent's on the same question, in both orders (disagreements count as ties). Win rate = (wins + ties/2) / n with a 95% bootstrap CI; beside it, the task's primary-metric change vs the parent.")]);
    if (!J) {
      append(app, [h("p", { id: "judged-empty" }, "No judged results: run `lawbench judge pairwise --runs DIR --judge-base-url URL --judge-model NAME`, or build with --judge-base-url / --judge-model.")]);
      return;
    }
    if (J.judge) append(app, [h("p", {}, "Judge: " + J.judge.model + " · rubric " + J.judge.rubric.name + " (" + String(J.judge.rubric.sha256).slice(0, 12) + ")")]);
    const head = h("tr", {}, ["Stage", "vs parent", "Task", "Win rate", "95% CI", "W / T / L", "n", "Unparsed", "Order consistency", "Metric change vs parent"].map((t) => h("th", {}, t)));
    const body = J.pairs.map((p) => {
      const m = p.metric_change;
      const metric = !m ? "–" : !guardAllowed(m.status) ? m.metric + " ≠ not comparable" : m.metric + " " + signed(m.diff) + " " + ci(m.lo, m.hi, true);
      const cls = p.lo !== null && p.lo > 0.5 ? "better" : p.hi !== null && p.hi < 0.5 ? "worse" : "";
      return h("tr", { "data-stage": p.stage, "data-task": p.task }, h("td", {}, label(p.stage)), h("td", {}, label(p.parent)), h("td", {}, p.task),
        h("td", { class: "win-rate " + cls }, fmt(p.win_rate)), h("td", { class: "ci" }, ci(p.lo, p.hi)),
        h("td", {}, p.wins + " / " + p.ties + " / " + p.losses), h("td", {}, p.n), h("td", {}, p.unparsed),
        h("td", {}, fmt(p.order_consistency, 2)), h("td", {}, metric));
    });
    append(app, [h("div", { class: "scroll" }, h("table", { class: "grid", id: "judged-table" }, h("thead", {}, head), h("tbody", {}, body)))]);
    const ids = Object.keys(J.pointwise || {});
    if (ids.length) {
      append(app, [h("h3", {}, "Pointwise judge figures per run (rubric, counts, reliability)")]);
      for (const id of ids) append(app, [h("details", { class: "run", "data-stage": id }, h("summary", {}, label(id)), valueNode(J.pointwise[id]))]);
    }
  };

  // ------------------------------------------------------------------ exports
  VIEWS.exports = function () {
    append(app, [h("h2", {}, "Exports"), h("p", { class: "lead" }, "The overview as files next to this page: CSV has every row (long format); Markdown and LaTeX the primary metric of each task.")]);
    for (const [key, file] of [["csv", "exports/overview.csv"], ["md", "exports/overview.md"], ["tex", "exports/overview.tex"]]) {
      append(app, [h("section", { class: "export" }, h("h3", {}, h("a", { href: file, download: file.split("/")[1] }, file)), h("pre", { "data-export": key }, DATA.exports[key]))]);
    }
  };

  append(document.getElementById("footer"), ["Built by " + DATA.meta.generator + " · bootstrap: " + DATA.meta.bootstrap_iters + " resamples, seed " + DATA.meta.seed + " · " + STAGES.length + " runs"]);
  window.addEventListener("hashchange", render);
  render();
})();

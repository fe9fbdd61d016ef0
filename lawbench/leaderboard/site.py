"""Assemble the leaderboard data from runs and write the static site.

The site is one ``index.html`` with the page script, the styles and the data inlined, so it opens
from ``file://`` (browsers refuse ``fetch`` there) and from GitHub Pages alike. The data sits in
``<script type="application/json">`` elements that the page reads with ``textContent`` +
``JSON.parse``; ``<``, ``>`` and ``&`` inside it are written as ``\\u003c`` etc., so no text a model
or a dataset wrote can close the element. A Content-Security-Policy with the hashes of the inline
script and style blocks everything else (other scripts, inline handlers, any network request).
The front-end source is package data (``lawbench/leaderboard/web/``), so a non-editable
``pip install`` builds sites too. ``exports/`` holds the overview as CSV, Markdown and LaTeX.

Output is deterministic: keys sorted, floats rounded, no build time or absolute build paths.

Example (the fixture runs of the test suite)::

    from lawbench.leaderboard import build_site
    build_site("OUT/runs", "OUT/site")   # -> Path("OUT/site/index.html")
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from tqdm.auto import tqdm

from lawbench import __version__
from lawbench.leaderboard.compare import GUARD, Comparator
from lawbench.leaderboard.curves import training_curves
from lawbench.leaderboard.drilldown import item_view
from lawbench.leaderboard.exports import to_csv, to_latex, to_markdown
from lawbench.leaderboard.judged import judged_view
from lawbench.leaderboard.lineage import order_stages
from lawbench.leaderboard.live import live_view
from lawbench.leaderboard.rag import rag_view
from lawbench.leaderboard.reference import Reference, add_reference_changes, reference_pairs, reference_stages
from lawbench.leaderboard.runs import Run, load_runs
from lawbench.leaderboard.shift import shift_view
from lawbench.leaderboard.tasktree import TaskTree, split_metric_key
from lawbench.tasks.primary import family
from lawbench.utils.io import atomic_write_text
from lawbench.utils.safe import scrub_url

DEFAULT_TITLE = "lawbench leaderboard"
# What of a run's manifest the site publishes (an allowlist: a new manifest key stays private until added
# here). Paths are shown relative to the runs folder (or by their last part), URLs without credentials or
# query strings; the command line, absolute paths and anything unknown are left out.
MANIFEST_PUBLIC = ("version", "stage", "parent", "run_name", "chat_template", "skipped", "lawshift_articles", "rag",
                   "versions", "seeds", "gen_kwargs", "limit", "num_fewshot", "requests", "timings", "created")
MODEL_PUBLIC = ("argument", "kind", "path", "adapter", "backend", "device", "dtype", "fingerprint", "base_url",
                "batch_size", "load_in_4bit", "model")
LM_EVAL_PUBLIC = ("batch_size", "bootstrap_iters", "device", "fewshot_seed", "gen_kwargs", "limit",
                  "numpy_seed", "random_seed", "torch_seed")


def _pairs(stages) -> list[dict]:
    pairs = []
    for stage in stages:
        if stage.parent:
            pairs.append({"a": stage.parent, "b": stage.id, "relation": "parent"})
        if stage.root not in (stage.id, stage.parent):
            pairs.append({"a": stage.root, "b": stage.id, "relation": "base"})
    return pairs


def _rows(comparator: Comparator, tree: TaskTree, runs: dict[str, Run], stages) -> list[dict]:
    ordered = [runs[s.id] for s in stages]
    rows = []
    tree_rows = tree.rows()
    for row in tqdm(tree_rows, desc="leaderboard: scores and changes", unit="task", disable=None, leave=False):
        primary = tree.primary_metric(row.node)
        for position, key in enumerate(tree.metric_keys(row.node, ordered)):
            metric, filt = split_metric_key(key)
            higher = tree.higher_is_better(row.node, metric)
            cells = {s.id: c for s in stages if (c := comparator.cell(s.id, row.node, key)) is not None}
            if not cells:
                continue
            entry = {"id": f"{row.node}|{key}", "node": row.node, "kind": row.kind, "depth": row.depth,
                     "ancestors": list(row.ancestors), "metric": metric, "filter": filt,
                     "primary": metric == primary if primary else position == 0,
                     "higher_is_better": higher, "cells": cells, "vs_parent": {}, "vs_base": {}}
            for stage in stages:
                if stage.id not in cells:
                    continue
                if stage.parent:
                    change = comparator.change(stage.parent, stage.id, row.node, key, higher)
                    if change is not None:
                        entry["vs_parent"][stage.id] = change
                if stage.root not in (stage.id,):
                    change = comparator.change(stage.root, stage.id, row.node, key, higher)
                    if change is not None:
                        entry["vs_base"][stage.id] = change
            rows.append(entry)
    return rows


def _versions_table(tree: TaskTree, runs: dict[str, Run], stages, comparator: Comparator) -> dict:
    """Per leaf task and stage: version, task hash, and the guard status against the parent."""
    table = {}
    for row in tree.rows():
        if row.kind != "task":
            continue
        entry = {}
        for stage in stages:
            run = runs[stage.id]
            if row.node not in run.results["results"]:
                continue
            info = {"version": tree.version(run, row.node), "hash": tree.task_hash(run, row.node)}
            if stage.parent and row.node in runs[stage.parent].results["results"]:
                info["vs_parent"] = comparator.leaf_status(stage.parent, stage.id, row.node, "none")[0]
            entry[stage.id] = info
        table[row.node] = entry
    return table


def _transitions(comparator: Comparator, runs: dict[str, Run], pairs: list[dict]) -> dict:
    found: dict[str, list] = {}
    for pair in pairs:
        a, b = pair["a"], pair["b"]
        for task in sorted(set(runs[a].samples) & set(runs[b].samples)):
            result = comparator.transitions(a, b, task)
            if result["metrics"]:
                found.setdefault(task, []).append({"a": a, "b": b, "relation": pair["relation"], **result})
    return {task: found[task] for task in sorted(found)}


def _count_changes(pairs: list[dict], transitions: dict, rows: list[dict]) -> None:
    """Add to each stage pair how many items changed (fixed + broken) on each task's primary metric, over
    all tasks (``changes``) and over LawShift's (``lawshift_changes``), comparable tasks only: the views
    open on the pair that changed most."""
    primary = {r["node"]: r["metric"] for r in rows if r["primary"] and r["kind"] == "task"}
    for pair in pairs:
        pair["changes"] = pair["lawshift_changes"] = 0
        for task, entries in transitions.items():
            for entry in entries:
                counts = entry["metrics"].get(primary.get(task, ""))
                if (entry["a"], entry["b"]) != (pair["a"], pair["b"]) or not counts or not GUARD[entry["status"]][0]:
                    continue
                changed = len(counts["fixed"]) + len(counts["broken"])
                pair["changes"] += changed
                if family(task) == "lawshift":
                    pair["lawshift_changes"] += changed


def _short(value, n: int = 12):
    return value[:n] if isinstance(value, str) else value


def public_path(value, runs_dir: Path, kind: str | None = None):
    """A path as the site may show it: relative to the runs folder when it lies in the folder above it (a
    pipeline's ``OUT``), else only its last part; hub ids and URLs as they are (URLs scrubbed).

    >>> public_path("/home/me/out/checkpoints/sft", Path("/home/me/out/runs")), public_path("/srv/m/qwen", Path("/x"))
    ('../checkpoints/sft', 'qwen')
    >>> public_path("Qwen/Qwen2.5-7B", Path("/x"), "hub"), public_path("http://u:p@h/v1?k=1", Path("/x"))
    ('Qwen/Qwen2.5-7B', 'http://h/v1')
    """
    if not isinstance(value, str) or not value:
        return value if isinstance(value, (int, float, bool)) or value is None else str(value)
    if "://" in value:
        return scrub_url(value)
    if kind in ("hub", "api") and not value.startswith(("/", "~")):
        return value
    path, root = Path(value), Path(os.path.abspath(runs_dir))
    if path.is_absolute():
        if root.parent != Path(root.anchor) and root.parent in Path(os.path.abspath(path)).parents:
            return os.path.relpath(os.path.abspath(path), root)
        return path.name
    return value if ".." not in path.parts else path.name


def _public(value):
    """Only plain JSON leaves; strings that are URLs are scrubbed, other absolute paths cut to their name."""
    if isinstance(value, dict):
        return {str(k): _public(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_public(v) for v in value]
    if isinstance(value, str):
        if "://" in value:
            return scrub_url(value)
        return Path(value).name if value.startswith(("/", "~")) or re.match(r"^[A-Za-z]:[\\/]", value) else value
    return value


def _summary(run: Run) -> list[list]:
    """The run's key facts as ``[label, value]`` rows (in this order) for the side-by-side table."""
    m, runs_dir = run.manifest, run.root or run.folder.parent
    model, versions = m.get("model") or {}, m.get("versions") or {}
    requests, timings = m.get("requests") or {}, m.get("timings") or {}
    template = m.get("chat_template") or {}
    files = m.get("data_files") or {}
    data_digest = hashlib.sha256(json.dumps(sorted(files.values())).encode()).hexdigest()[:12] if files else None
    rows = [
        ("stage", run.stage), ("parent stage", run.parent), ("results file", run.results_file.name),
        ("model path", public_path(model.get("path") or (run.results.get("config") or {}).get("model"),
                                   runs_dir, model.get("kind"))),
        ("model kind", model.get("kind")),
        ("adapter", model.get("adapter")), ("backend", model.get("backend")), ("device", model.get("device")),
        ("dtype", model.get("dtype")), ("model fingerprint", _short(model.get("fingerprint"))),
        ("chat template", None if not template
         else (_short(template.get("sha256")) if template.get("applied") else "not applied")),
        ("gen_kwargs", m.get("gen_kwargs")), ("limit", m.get("limit")), ("num_fewshot", m.get("num_fewshot")),
        ("seed", (m.get("seeds") or {}).get("random")),
        ("data files", f"{len(files)} files, digest {data_digest}" if files else None),
        *((f"{lib} version", versions.get(lib)) for lib in ("lawbench", "lm_eval", "transformers", "torch")),
        ("requests (computed / cached)",
         f"{requests.get('computed')} / {requests.get('from_cache')}" if requests else None),
        ("generation time (s)", timings.get("generation_s")), ("total time (s)", timings.get("total_s")),
        ("created", m.get("created")),
    ]
    return [[label, None if value is None else str(value)] for label, value in rows]


def _manifest(run: Run) -> dict:
    """The run details the site publishes: allowlisted keys only (:data:`MANIFEST_PUBLIC`)."""
    m, runs_dir = run.manifest, run.root or run.folder.parent
    manifest = {k: _public(m[k]) for k in MANIFEST_PUBLIC if k in m}
    model = m.get("model") if isinstance(m.get("model"), dict) else {}
    if model:
        kind = model.get("kind")
        manifest["model"] = {k: (public_path(model[k], runs_dir, kind) if k in ("argument", "path", "adapter")
                                 else _public(model[k])) for k in MODEL_PUBLIC if k in model}
    files = m.get("data_files")
    if isinstance(files, dict):  # names under the data folder, not where that folder is on the build machine
        manifest["data_files"] = {_data_name(name, m.get("data_dir")): _public(digest)
                                  for name, digest in sorted(files.items())}
    for key in ("merged", "request_cache", "training"):
        if isinstance(m.get(key), dict):
            manifest[key] = {k: (public_path(v, runs_dir) if k == "checkpoint" else _public(v))
                             for k, v in m[key].items()}
    config = run.results.get("config") or {}
    return {
        "results_file": run.results_file.name,
        "samples_files": len(run.samples),
        "lm_eval": {k: _public(config.get(k)) for k in LM_EVAL_PUBLIC if k in config},
        "lm_eval_version": _public(run.results.get("lm_eval_version")),
        "lawbench": manifest,
    }


def _data_name(name: str, data_dir) -> str:
    """A data file's name relative to the run's data folder (or its last two parts)."""
    if isinstance(data_dir, str) and data_dir and name.startswith(data_dir.rstrip("/") + "/"):
        return name[len(data_dir.rstrip("/")) + 1:]
    parts = Path(name).parts
    return "/".join(parts[-2:]) if parts else name


def _stage_rows_first(rows: list[dict], stage_ids: set[str]) -> list[dict]:
    """Top-level blocks (a group with its members, or a lone task) that some stage scored come first; blocks
    only published references have (LawBench's tasks beside a demo that never ran them) follow, in order.

    >>> rows = [{"node": "g", "ancestors": [], "cells": {"ref": 1}}, {"node": "t", "ancestors": ["g"], "cells": {}},
    ...         {"node": "u", "ancestors": [], "cells": {"sft": 1}}]
    >>> [r["node"] for r in _stage_rows_first(rows, {"sft"})]
    ['u', 'g', 't']
    """
    def block(row: dict) -> str:
        return row["ancestors"][0] if row["ancestors"] else row["node"]

    scored = {block(r) for r in rows if stage_ids & set(r["cells"])}
    return sorted(rows, key=lambda r: block(r) not in scored)  # stable: the tree's order within each part


def build_data(runs_dir: str | Path | Sequence[str | Path], *, iters: int = 1000, seed: int = 1234,
               title: str = DEFAULT_TITLE, references: Sequence[Reference] = ()) -> tuple[dict, dict]:
    """The site's data and its item records, computed from the runs under ``runs_dir`` (one folder or a
    list of folders; lineage is resolved across all of them) and ``references``, published models shown as
    extra columns after the stages (:mod:`lawbench.leaderboard.reference`)."""
    loaded = load_runs(runs_dir)
    runs = {run.id: run for run in loaded}
    stages = order_stages((run.id, run.stage, run.parent) for run in loaded)
    columns = stages + reference_stages(list(references), set(runs))
    runs.update({ref.run.id: ref.run for ref in references})
    order = [s.id for s in stages]
    tree = TaskTree([runs[s.id] for s in columns])
    comparator = Comparator(runs, tree, iters=iters, seed=seed, references=frozenset(r.run.id for r in references))
    pairs = _pairs(stages) + reference_pairs(stages, list(references))
    rows = _stage_rows_first(_rows(comparator, tree, runs, columns), set(order))
    add_reference_changes(rows, comparator, order[-1] if order else None, list(references))
    transitions = _transitions(comparator, runs, pairs)
    _count_changes(pairs, transitions, rows)
    curves = {}
    for stage in stages:
        run = runs[stage.id]
        found = training_curves(run, run.root or run.folder.parent)
        if found:
            curves[stage.id] = found
    data_stages = [{"id": s.id, "parent": s.parent} for s in stages]
    kinds = {ref.run.id: ref.kind for ref in references}
    data = {
        "meta": {"title": title, "generator": f"lawbench {__version__}", "bootstrap_iters": iters, "seed": seed,
                 "ci_level": 0.95, "guard": {k: {"allowed": v[0], "text": v[1]} for k, v in GUARD.items()},
                 "reference_focus": order[-1] if references and order else None},
        "stages": [{"id": s.id, "stage": s.stage, "parent": s.parent, "root": s.root, "depth": s.depth,
                    "model": (runs[s.id].manifest.get("model") or {}).get("fingerprint"),
                    **({"reference": kinds[s.id]} if s.id in kinds else {})} for s in columns],
        "pairs": pairs,
        "rows": rows,
        "groups": [r.node for r in tree.rows() if r.kind == "group"],
        "transitions": transitions,
        "lawshift": shift_view(runs, order, {s.id: s.parent for s in stages}, iters, seed),
        "rag": rag_view(runs, order),  # eval --rag runs beside gold-article runs of the same model
        "curves": curves,
        "live": live_view(data_stages, curves, rows),  # scores while training, joined across stages
        "runs": {**{s.id: _manifest(runs[s.id]) for s in stages},
                 **{ref.run.id: {"reference": _public(ref.info)} for ref in references}},
        "run_summary": {s.id: _summary(runs[s.id]) for s in columns},
        "task_versions": _versions_table(tree, runs, stages, comparator),
        # judged win rates vs the parent beside the metric deltas (lawbench.leaderboard.judged)
        "judged": _public(judged_view(runs_dir, rows, {s.id: runs[s.id].manifest for s in stages})),
    }
    data["exports"] = {"csv": to_csv(data), "md": to_markdown(data), "tex": to_latex(data)}
    return data, item_view(runs, [s.id for s in columns])


def embed_json(obj) -> str:
    """JSON that is safe inside a ``<script type="application/json">`` element.

    >>> embed_json({"x": "</script><img src=x onerror=alert(1)>"})
    '{"x":"\\\\u003c/script\\\\u003e\\\\u003cimg src=x onerror=alert(1)\\\\u003e"}'
    """
    text = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    for char, escape in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"), ("\u2028", "\\u2028"),
                         ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


def _web(name: str) -> str:
    return resources.files("lawbench.leaderboard").joinpath("web", name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def render_html(data: dict, items: dict) -> str:
    script, style = _web("app.js"), _web("style.css")
    csp = (f"default-src 'none'; script-src {_csp_hash(script)}; style-src {_csp_hash(style)}; "
           "img-src data:; base-uri 'none'; form-action 'none'")
    values = {"TITLE": html.escape(data["meta"]["title"]), "CSP": html.escape(csp, quote=False).replace('"', "&quot;"),
              "STYLE": style, "SCRIPT": script, "DATA": embed_json(data), "ITEMS": embed_json(items)}
    # One pass over the template only: placeholders inside inserted text are never expanded.
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], _web("index.html"))


def build_site(runs_dir: str | Path | Sequence[str | Path], out_dir: str | Path, *, iters: int = 1000,
               seed: int = 1234, title: str = DEFAULT_TITLE, references: Sequence[Reference] = ()) -> Path:
    """Build the leaderboard for the runs under ``runs_dir`` (one folder or several) into ``out_dir``;
    returns index.html's path. ``references``: see :func:`build_data`."""
    data, items = build_data(runs_dir, iters=iters, seed=seed, title=title, references=references)
    out = Path(out_dir)
    for ext in ("csv", "md", "tex"):
        _publish(out / "exports" / f"overview.{ext}", data["exports"][ext])
    _publish(out / ".nojekyll", "")  # GitHub Pages: serve the folder as it is
    return _publish(out / "index.html", render_html(data, items))


def _publish(path: Path, text: str) -> Path:
    return atomic_write_text(path, text)  # 0o666 less the umask, as any file the user writes

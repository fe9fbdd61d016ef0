"""The overview as CSV (every row, long format), Markdown and LaTeX (primary metrics, wide format).

Example:
    >>> data = {"stages": [{"id": "base", "stage": "base"}, {"id": "sft", "stage": "sft"}],
    ...         "rows": [{"node": "t", "kind": "task", "metric": "acc", "filter": "none", "primary": True,
    ...                   "cells": {"base": {"score": 0.5, "lo": 0.4, "hi": 0.6, "n": 10},
    ...                             "sft": {"score": 0.7, "lo": 0.6, "hi": 0.8, "n": 10}},
    ...                   "vs_parent": {"sft": {"status": "ok", "diff": 0.2, "lo": 0.1, "hi": 0.3,
    ...                                         "significant": True}},
    ...                   "vs_base": {}}]}
    >>> print(to_markdown(data).splitlines()[2])
    | t | acc | 0.500 [0.400, 0.600] | 0.700 [0.600, 0.800] (+0.200*) |
"""

from __future__ import annotations

import csv
import io

CSV_COLUMNS = ("task", "kind", "metric", "filter", "primary", "stage", "run", "score", "ci_lo", "ci_hi", "n",
               "vs_parent", "vs_parent_lo", "vs_parent_hi", "vs_parent_significant", "vs_parent_status",
               "vs_base", "vs_base_lo", "vs_base_hi", "vs_base_significant", "vs_base_status")
NUMERIC_COLUMNS = {i for i, name in enumerate(CSV_COLUMNS)
                   if name in ("score", "ci_lo", "ci_hi", "n", "vs_parent", "vs_parent_lo", "vs_parent_hi",
                               "vs_base", "vs_base_lo", "vs_base_hi")}
LEGEND = ("[lo, hi]: 95% bootstrap CI over items. (+d): change vs the parent stage; * = its paired-bootstrap "
          "95% CI excludes 0; 'n/c' = not comparable (task version, documents or prompts differ).")


def _num(value) -> str:
    return "" if value is None else f"{value:.6g}"


def _change_fields(change: dict | None) -> list[str]:
    if not change:
        return ["", "", "", "", ""]
    return [_num(change.get("diff")), _num(change.get("lo")), _num(change.get("hi")),
            "" if "significant" not in change else str(change["significant"]).lower(), change.get("status", "")]


def csv_cell(value) -> str:
    """A cell a spreadsheet will not run: text starting with ``= + - @``, a tab or a CR gets a leading ``'``
    (OWASP's advice), line breaks become spaces; numbers are written as they are.

    >>> [csv_cell(v) for v in ("=1+2", "@SUM(A1)", "-0.25", -0.25, "sft")]
    ["'=1+2", "'@SUM(A1)", "'-0.25", -0.25, 'sft']
    """
    if not isinstance(value, str):
        return value
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        value = "'" + value
    return value.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")  # one record per line


def to_csv(data: dict) -> str:
    out = io.StringIO()
    rows = csv.writer(out, lineterminator="\n")

    class Writer:  # every text cell through csv_cell; the numbers this module formats stay numbers
        @staticmethod
        def writerow(cells):
            rows.writerow([cell if i in NUMERIC_COLUMNS else csv_cell(cell) for i, cell in enumerate(cells)])

    writer = Writer()
    writer.writerow(CSV_COLUMNS)
    for row in data["rows"]:
        for stage in data["stages"]:
            cell = row["cells"].get(stage["id"])
            if cell is None:
                continue
            writer.writerow([row["node"], row["kind"], row["metric"], row["filter"], str(row["primary"]).lower(),
                             stage["stage"], stage["id"], _num(cell["score"]), _num(cell.get("lo")),
                             _num(cell.get("hi")), cell.get("n") if cell.get("n") is not None else "",
                             *_change_fields(row["vs_parent"].get(stage["id"])),
                             *_change_fields(row["vs_base"].get(stage["id"]))])
    return out.getvalue()


def _cell_text(row: dict, stage_id: str, star: str) -> str:
    cell = row["cells"].get(stage_id)
    if cell is None:
        return "–"
    text = f"{cell['score']:.3f}"
    if cell.get("lo") is not None:
        text += f" [{cell['lo']:.3f}, {cell['hi']:.3f}]"
    change = row["vs_parent"].get(stage_id)
    if change and change.get("diff") is not None:
        text += f" ({change['diff']:+.3f}{star if change.get('significant') else ''})"
    elif change:
        text += " (n/c)"
    return text


def _label(stage: dict) -> str:
    return stage["stage"] if stage["stage"] == stage["id"] else f"{stage['stage']} ({stage['id']})"


def _primary_rows(data: dict) -> list[dict]:
    return [row for row in data["rows"] if row["primary"]]


def _md_escape(text: str) -> str:
    """A Markdown table cell: one line, and no character that could start markup or end the cell.

    >>> print(_md_escape("a|b\\n<img src=x>"))
    a\\|b \\<img src=x\\>
    """
    text = " ".join(str(text).split())  # a newline would end the table row
    for char in "\\|`*_[]<>":
        text = text.replace(char, "\\" + char)
    return text


def to_markdown(data: dict) -> str:
    header = ["task", "metric", *(_label(s) for s in data["stages"])]
    lines = ["| " + " | ".join(_md_escape(h) for h in header) + " |", "|" + "---|" * len(header)]
    for row in _primary_rows(data):
        cells = [_md_escape(row["node"]), _md_escape(row["metric"]),
                 *(_cell_text(row, s["id"], "*") for s in data["stages"])]  # numbers lawbench formatted
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\n" + LEGEND + "\n"


_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def tex_escape(text: str) -> str:
    r"""Escape LaTeX's special characters.

    >>> tex_escape("lawshift_term_up & 50%")
    'lawshift\\_term\\_up \\& 50\\%'
    """
    return "".join(_TEX_SPECIAL.get(ch, ch) for ch in " ".join(str(text).split()))  # one line: no \n, no \par


def to_latex(data: dict) -> str:
    stages = data["stages"]
    lines = [
        "% generated by lawbench leaderboard build; needs \\usepackage{booktabs}",
        "\\begin{tabular}{ll" + "r" * len(stages) + "}",
        "\\toprule",
        " & ".join(["task", "metric", *(tex_escape(_label(s)) for s in stages)]) + " \\\\",
        "\\midrule",
    ]
    for row in _primary_rows(data):
        cells = [tex_escape(row["node"]), tex_escape(row["metric"])]
        cells += [tex_escape(_cell_text(row, s["id"], "*")).replace("–", "--").replace("*", "$^{*}$")
                  for s in stages]
        lines.append(" & ".join(cells) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}", f"% {tex_escape(LEGEND)}", ""]
    return "\n".join(lines)

"""Synthetic LawShift scenario folders (hand-written, not copied from any dataset)."""

from __future__ import annotations

import json
from pathlib import Path

FACTS = (
    "被告人甲某于某日晚在其家中多次提供房间供乙某、丙某吸食毒品，后被公安机关当场查获。",
    "被告人丁某在某小区地下车库内趁无人之机撬开车门，窃取车内现金人民币三千元。",
    "被告人戊某因琐事与邻居发生争执，持木棍将邻居打成轻伤二级，案发后主动投案。",
    "被告人己某在网吧内以帮忙充值为名，骗取被害人手机转账共计人民币八千元。",
    "被告人庚某醉酒后驾驶小型轿车在城市道路上行驶，经检测血液酒精含量为每百毫升一百五十毫克。",
)
ARTICLE_ORIGINAL = "【容留他人吸毒罪】容留他人吸食、注射毒品的，处三年以下有期徒刑、拘役或者管制，并处罚金。"
ARTICLE_POISONED = "【容留他人吸毒罪】容留他人吸食、注射、交易毒品的，处三年以下有期徒刑、拘役或者管制，并处罚金。"


def records(n: int, charge: str = "容留他人吸毒", prison_time: int = 7, tag: str = "") -> list[dict]:
    # ``tag`` makes every scenario's facts distinct, so request counts in tests are exact.
    return [
        {"fact": FACTS[i % len(FACTS)] + f"（{tag}案例{i}）", "relevant_articles": ["354-0-0"], "charge": charge,
         "prison_time": prison_time}
        for i in range(n)
    ]


def write_lawshift(root: Path, scenarios: dict[str, int], charge: str = "容留他人吸毒", prison_time: int = 7) -> Path:
    """Write ``root/lawshift/<scenario>/`` folders in LawShift's layout; returns ``root/lawshift``."""
    base = Path(root) / "lawshift"
    for name, n in scenarios.items():
        folder = base / name
        folder.mkdir(parents=True, exist_ok=True)
        for side, article in (("original", ARTICLE_ORIGINAL), ("poisoned", ARTICLE_POISONED)):
            (folder / f"{side}.json").write_text(
                json.dumps(records(n, charge, prison_time, f"{name}/{side}"), ensure_ascii=False, indent=1),
                encoding="utf-8")
            (folder / f"articles_{side}.json").write_text(
                json.dumps({"354-0-0": article}, ensure_ascii=False), encoding="utf-8")
    return base


# --------------------------------------------------------------------------- multiple-choice sources
MC_QUESTIONS = (
    ("下列哪一项属于民事法律行为？", ("订立合同", "违章停车", "闯红灯", "酒后驾车"), "A"),
    ("我国的根本大法是哪一部法律？", ("刑法", "民法典", "宪法", "行政法"), "C"),
    ("下列哪些属于刑罚的主刑？", ("管制", "拘役", "罚金", "有期徒刑"), "ABD"),
    ("Which body enacts statutes in a parliamentary system?",
     ("The courts", "The legislature", "The police", "The press"), "B"),
)


def write_mc_sources(root: Path, n: int = 4) -> Path:
    """All five legal multiple-choice layouts with ``n`` synthetic questions each (plus few-shot pools)."""
    import csv

    root = Path(root)

    def rows(multi: bool = False):
        picked = [q for q in MC_QUESTIONS if (len(q[2]) > 1) == multi] or list(MC_QUESTIONS)
        return [picked[i % len(picked)] for i in range(n)]

    def write(path: Path, header, body):
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            if header:
                writer.writerow(header)
            writer.writerows(body)

    for split in ("dev", "test"):
        write(root / "mmlu_legal" / split / f"jurisprudence_{split}.csv", None,
              [[q, *opts, a] for q, opts, a in rows()])
        write(root / "cmmlu_legal" / split / "college_law.csv", ["", "Question", "A", "B", "C", "D", "Answer"],
              [[i, q, *opts, a] for i, (q, opts, a) in enumerate(rows())])
    for split in ("dev", "val"):
        write(root / "ceval_legal" / split / f"law_{split}.csv", ["id", "question", "A", "B", "C", "D", "answer"],
              [[i, q, *opts, a] for i, (q, opts, a) in enumerate(rows())])
    jec = root / "jecqa" / "0_train.jsonl"
    jec.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"id": f"x_{i}", "statement": q, "option_list": dict(zip("ABCD", opts)), "answer": list(a),
                         "type": "0"}, ensure_ascii=False)
             for i, (q, opts, a) in enumerate(rows(False) * 3 + rows(True) * 3)]
    jec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    header = ["input", "output", "A", "B", "C", "D", "source", "multichoice"]
    for kind, multi in (("sing", False), ("mult", True)):
        write(root / "disc_law_eval" / "objective" / f"mcq_{kind}_nje.csv", header,
              [[q, a, *opts, "synthetic", str(multi)] for q, opts, a in rows(multi)])
        shots = [[q + "".join(f"\n{x}.{o}" for x, o in zip("ABCD", opts)),
                  "\n".join(f"{x}.{o}" for x, o in zip("ABCD", opts) if x in a)] for q, opts, a in rows(multi)]
        write(root / "disc_law_eval" / "few_shot" / f"mcq_{kind}_examples.csv", ["input", "output"], shots)
    return root

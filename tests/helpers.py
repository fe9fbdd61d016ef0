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
                json.dumps(records(n, charge, prison_time, f"{name}/{side}"), ensure_ascii=False, indent=1), encoding="utf-8")
            (folder / f"articles_{side}.json").write_text(
                json.dumps({"354-0-0": article}, ensure_ascii=False), encoding="utf-8")
    return base

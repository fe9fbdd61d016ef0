"""The demo's small legal data, written by this project (hand-written templates, never copied).

``write_demo_data(root)`` lays out, in the original formats lawbench reads:

* ``root/data/lawshift/<scenario>/`` — three LawShift-style scenarios for evaluation, one per kind of
  statute change: ``action_explicit_extend`` (V: the statute now also covers trading drugs),
  ``action_explicit_reduce`` (NV: it no longer covers letting others *smoke* drugs) and ``term_up``
  (TU: theft of a large amount now carries ten years or more);
* ``root/data/cmmlu_legal/{dev,test}/college_law.csv`` — basic multiple-choice questions;
* ``root/train/corpus.txt`` — statute-like prose for continued pretraining;
* ``root/train/cases.json`` + ``articles.json`` — LawShift-format training cases (sft, rs-sft, grpo, ppo);
  the terms follow simple rules (three months per act of letting others take drugs, plus three; six or
  twelve months for theft below or above 10,000 yuan; ten for an injury) so a tiny model can learn them;
* ``root/train/qa.jsonl`` — short legal Q&A pairs;
* ``root/train/rl_statute_change.jsonl`` — RL prompts: theft cases under the *changed* statute (ten
  years or more), with ``side: poisoned`` and ``shift_type: TU`` so that lawbench's rewards score
  the term against the new range; a model trained on the old statute starts far from it.

Example:
    >>> import tempfile, pathlib
    >>> root = write_demo_data(tempfile.mkdtemp())
    >>> sorted(p.name for p in (root / "data" / "lawshift").iterdir())
    ['action_explicit_extend', 'action_explicit_reduce', 'term_up']
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from lawbench.tiny.corpus import CITIES, NAMES, PLACES, legal_corpus

HOMES = ("家中", "出租屋内", "某酒店房间", "经营的茶楼包间", "租住的公寓")

DRUG_ARTICLE = "354-0-0"
THEFT_ARTICLE = "264-0-0"
HURT_ARTICLE = "234-0-0"
ARTICLES = {
    DRUG_ARTICLE: "【容留他人吸毒罪】容留他人吸食、注射毒品的，处三年以下有期徒刑、拘役或者管制，并处罚金。",
    THEFT_ARTICLE: "【盗窃罪】盗窃公私财物，数额较大的，处三年以下有期徒刑、拘役或者管制，并处或者单处罚金。",
    HURT_ARTICLE: "【故意伤害罪】故意伤害他人身体的，处三年以下有期徒刑、拘役或者管制。",
}
CHANGED = {  # the poisoned statute of each evaluation scenario
    "action_explicit_extend": {DRUG_ARTICLE: ARTICLES[DRUG_ARTICLE].replace("吸食、注射毒品", "吸食、注射、交易毒品")},
    "action_explicit_reduce": {DRUG_ARTICLE: ARTICLES[DRUG_ARTICLE].replace("吸食、注射毒品", "注射毒品")},
    "term_up": {THEFT_ARTICLE: ARTICLES[THEFT_ARTICLE].replace("处三年以下有期徒刑、拘役或者管制，并处或者单处罚金",
                                                                "处十年以上有期徒刑，并处罚金")},
}
DRUG_FACT = ("{city}人民检察院指控：{date}，被告人{name}在其位于{city}的{place}，{times}次{act}。"
             "案发后，被告人{name}如实供述了自己的罪行。")
THEFT_FACT = ("{city}人民检察院指控：{date}，被告人{name}在{city}{place}趁无人注意，窃取他人财物，"
              "价值人民币{amount}元。案发后赃物已追回。")
HURT_FACT = ("{city}人民检察院指控：{date}，被告人{name}在{city}{place}因琐事与被害人发生争执，"
             "持木棍将被害人打成轻伤二级。")
DRUG_ACTS = {
    "original": "容留他人吸食甲基苯丙胺",
    "action_explicit_extend": "容留他人在其处交易毒品甲基苯丙胺",
    "action_explicit_reduce": "容留他人吸食甲基苯丙胺",  # still smoking: no longer covered after the change
}


def _date(rng: random.Random) -> str:
    return f"{rng.randint(2016, 2022)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"


def _drug_case(rng: random.Random, act: str) -> dict:
    times = rng.randint(1, 3)
    fact = DRUG_FACT.format(city=rng.choice(CITIES), date=_date(rng), name=rng.choice(NAMES),
                            place=rng.choice(HOMES), times=times, act=act)
    return {"fact": fact, "relevant_articles": [DRUG_ARTICLE], "charge": "容留他人吸毒", "prison_time": 3 + 3 * times}


def _theft_case(rng: random.Random) -> dict:
    amount = rng.randint(3, 40) * 500
    fact = THEFT_FACT.format(city=rng.choice(CITIES), date=_date(rng), name=rng.choice(NAMES),
                             place=rng.choice(PLACES), amount=amount)
    return {"fact": fact, "relevant_articles": [THEFT_ARTICLE], "charge": "盗窃",
            "prison_time": 6 if amount < 10000 else 12}


def _hurt_case(rng: random.Random) -> dict:
    fact = HURT_FACT.format(city=rng.choice(CITIES), date=_date(rng), name=rng.choice(NAMES), place=rng.choice(PLACES))
    return {"fact": fact, "relevant_articles": [HURT_ARTICLE], "charge": "故意伤害", "prison_time": 10}


MC_QUESTIONS = (
    ("我国刑法规定的主刑不包括下列哪一项？", ("管制", "拘役", "罚金", "死刑"), "C"),
    ("盗窃公私财物，数额较大的，依照刑法应当构成哪一罪名？", ("盗窃罪", "诈骗罪", "抢夺罪", "侵占罪"), "A"),
    ("容留他人吸食毒品的，构成下列哪一罪名？", ("贩卖毒品罪", "容留他人吸毒罪", "非法持有毒品罪", "走私毒品罪"), "B"),
    ("下列哪一部法律是我国的根本大法？", ("刑法", "民法典", "行政诉讼法", "宪法"), "D"),
    ("故意伤害他人身体致人轻伤的，最高可以判处几年有期徒刑？", ("一年", "三年", "五年", "十年"), "B"),
    ("犯罪以后自动投案，如实供述自己罪行的，属于下列哪一情节？", ("自首", "立功", "累犯", "坦白"), "A"),
    ("有期徒刑的期限，除法律另有规定外，最低为几个月？", ("一个月", "三个月", "六个月", "十二个月"), "C"),
    ("已满多少周岁的人犯罪，应当负刑事责任？", ("十二周岁", "十四周岁", "十六周岁", "十八周岁"), "C"),
    ("拘役的期限为多长？",
     ("一个月以上六个月以下", "三个月以上一年以下", "六个月以上一年以下", "一年以上三年以下"), "A"),
    ("被判处管制的犯罪分子，由哪一机关执行社区矫正？", ("人民法院", "人民检察院", "公安机关", "社区矫正机构"), "D"),
    ("下列哪一项属于附加刑？", ("拘役", "剥夺政治权利", "管制", "有期徒刑"), "B"),
    ("醉酒驾驶机动车的，构成下列哪一罪名？",
     ("交通肇事罪", "危险驾驶罪", "以危险方法危害公共安全罪", "妨害公务罪"), "B"),
)
QA_PAIRS = (
    ("盗窃罪的量刑起点是多少？", "盗窃公私财物数额较大的，处三年以下有期徒刑、拘役或者管制，并处或者单处罚金。"),
    ("什么是自首？", "犯罪以后自动投案，如实供述自己的罪行的，是自首。对于自首的犯罪分子，可以从轻或者减轻处罚。"),
    ("容留他人吸毒会被判几年？", "容留他人吸食、注射毒品的，处三年以下有期徒刑、拘役或者管制，并处罚金。"),
    ("醉驾会坐牢吗？", "在道路上醉酒驾驶机动车的，构成危险驾驶罪，处拘役，并处罚金。"),
    ("轻伤会判刑吗？", "故意伤害他人身体致人轻伤的，构成故意伤害罪，处三年以下有期徒刑、拘役或者管制。"),
    ("什么是累犯？", "被判处有期徒刑以上刑罚的犯罪分子，刑罚执行完毕或者赦免以后，"
                     "在五年以内再犯应当判处有期徒刑以上刑罚之罪的，是累犯，应当从重处罚。"),
)


def _write_json(path: Path, payload) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")


def write_demo_data(root: str | Path, eval_cases: int = 8, train_cases: int = 48, seed: int = 0) -> Path:
    """Write the demo data under ``root`` (see the module docstring); returns ``root``."""
    root = Path(root)
    rng = random.Random(seed)
    lawshift = root / "data" / "lawshift"
    for scenario, changed in CHANGED.items():
        if scenario == "term_up":
            original = [_theft_case(rng) for _ in range(eval_cases)]
            poisoned = [dict(case) for case in original]  # same facts; only the statute moved
        else:
            original = [_drug_case(rng, DRUG_ACTS["original"]) for _ in range(eval_cases)]
            poisoned = [{**case, "fact": case["fact"].replace(DRUG_ACTS["original"], DRUG_ACTS[scenario])}
                        for case in original]
        ids = sorted({a for case in original for a in case["relevant_articles"]})
        _write_json(lawshift / scenario / "original.json", original)
        _write_json(lawshift / scenario / "poisoned.json", poisoned)  # labels stay the original ones, as in LawShift
        _write_json(lawshift / scenario / "articles_original.json", {a: ARTICLES[a] for a in ids})
        _write_json(lawshift / scenario / "articles_poisoned.json", {a: changed.get(a, ARTICLES[a]) for a in ids})

    for split, questions in (("dev", MC_QUESTIONS[:3]), ("test", MC_QUESTIONS[3:])):
        path = root / "data" / "cmmlu_legal" / split / "college_law.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["", "Question", "A", "B", "C", "D", "Answer"])
            writer.writerows([i, q, *options, answer] for i, (q, options, answer) in enumerate(questions))

    train = root / "train"
    makers = (lambda: _drug_case(rng, DRUG_ACTS["original"]), lambda: _theft_case(rng), lambda: _hurt_case(rng))
    _write_json(train / "cases.json", [makers[i % len(makers)]() for i in range(train_cases)])
    _write_json(train / "articles.json", ARTICLES)
    (train / "corpus.txt").write_text("\n\n".join([*ARTICLES.values(), *legal_corpus(n_cases=150, seed=seed)]),
                                      encoding="utf-8")
    from lawbench.tasks.lawshift.data import case_messages

    changed = {**ARTICLES, **CHANGED["term_up"]}
    rl_rows = []
    for _ in range(train_cases // 2):
        case = _theft_case(rng)
        rl_rows.append({"prompt": case_messages(case, changed), "charge": case["charge"],
                        "prison_time": case["prison_time"], "side": "poisoned", "shift_type": "TU"})
    (train / "rl_statute_change.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rl_rows),
                                                  encoding="utf-8")
    (train / "qa.jsonl").write_text("".join(json.dumps({"prompt": q, "response": a}, ensure_ascii=False) + "\n"
                                            for q, a in QA_PAIRS), encoding="utf-8")
    return root

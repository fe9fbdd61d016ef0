"""Character TER (lawbench.metrics.text.ter) equals sacreBLEU's TER(normalized=True, asian_support=True).

sacreBLEU needs seconds per real LawBench 3-8 pair, so its statistics of 300 real pairs were computed
once by bench/ter_speed.py and stored as numbers (ter_sacrebleu_3_8.json, with a hash of each pair's
texts so that changed data fails loudly); short and edge-case texts are compared with sacreBLEU live.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sacrebleu.metrics import TER

from lawbench.metrics.text import corpus_score, item_stats, ter
from lawbench.tasks.legal_qa.data import strip_answer_prefix

FIXTURE = Path(__file__).with_name("ter_sacrebleu_3_8.json")


def pair_key(prediction: str, reference: str) -> str:
    # as bench/ter_speed.py writes it
    return hashlib.sha256(f"{prediction}\0{reference}".encode()).hexdigest()[:16]


@pytest.fixture(scope="module")
def sacrebleu_ter():
    return TER(normalized=True, asian_support=True)


def sacrebleu_stats(metric, hypothesis: str, references: list) -> list[float]:
    return metric._extract_corpus_statistics([hypothesis], [[r] for r in references])[0]


def test_equals_sacrebleu_on_300_real_lawbench_3_8_pairs(shared_data, sacrebleu_ter):
    fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
    base = shared_data / "lawbench_oc"
    references = [strip_answer_prefix(r["answer"])
                  for r in json.loads((base / "zero_shot" / "3-8.json").read_text(encoding="utf-8"))]
    predictions = {model: json.loads((base / "predictions" / "zero_shot" / model / "3-8.json").read_text("utf-8"))
                   for model in {row["model"] for row in fixture["pairs"]}}
    assert len(fixture["pairs"]) >= 300
    ours, theirs = [], []
    for row in fixture["pairs"]:
        prediction, reference = predictions[row["model"]][str(row["item"])]["prediction"], references[row["item"]]
        assert pair_key(prediction, reference) == row["key"], f"{row['model']} 3-8 item {row['item']} changed"
        stats = ter.sentence_stats(prediction, [reference])
        expected = [row["edits"], row["ref_len"]]
        assert abs(stats[0] - expected[0]) < 1e-9 and abs(stats[1] - expected[1]) < 1e-9, row
        sentence = sacrebleu_ter._compute_score_from_stats(expected).score
        assert abs(ter.sentence_ter(prediction, [reference]) - sentence) < 1e-9
        ours.append(stats)
        theirs.append(expected)
    corpus = sacrebleu_ter._aggregate_and_compute(theirs).score
    assert abs(ter.corpus_ter(ours) - corpus) < 1e-9
    assert abs(corpus_score("ter", ours) - corpus) < 1e-9
    assert 50 < corpus < 150  # character edits: a real spread, not the one-edit-per-sentence of word TER


EDGE_CASES = [
    ("", ["被告人犯盗窃罪。"]),  # empty hypothesis
    ("被告人犯盗窃罪。", [""]),  # empty reference: every token an edit, length 0
    ("", [""]),
    ("被告人犯盗窃罪", ["被告人犯盗窃罪。"]),
    ("盗窃罪被告人犯", ["被告人犯盗窃罪"]),  # one block shift
    ("依照《刑法》第264条,构成盗窃罪。Theft's &amp; co.", ["依照刑法第二百六十四条，构成盗窃罪。theft's & co"]),
    ("判", ["根据《中华人民共和国刑法》第二百六十四条的规定，盗窃公私财物，数额较大的，或者多次盗窃、入户盗窃、"
           "携带凶器盗窃、扒窃的，处三年以下有期徒刑、拘役或者管制，并处或者单处罚金。"]),  # beam widened (ratio > 50)
    ("根据《中华人民共和国刑法》第二百六十四条的规定，盗窃公私财物，数额较大的，处三年以下有期徒刑。", ["判"]),
    ("被告人犯诈骗罪", ["被告人犯盗窃罪", None, "被告人犯诈骗罪，判处罚金"]),  # several references, one missing
    ("甲乙丙丁戊己庚辛壬癸" * 3, ["癸壬辛庚己戊丁丙乙甲" * 3]),  # many shift candidates
]


@pytest.mark.parametrize(("hypothesis", "references"), EDGE_CASES)
def test_equals_sacrebleu_on_edge_cases(sacrebleu_ter, hypothesis, references):
    expected = sacrebleu_stats(sacrebleu_ter, hypothesis, references)
    assert ter.sentence_stats(hypothesis, references) == expected
    assert ter.sentence_ter(hypothesis, references) == sacrebleu_ter.sentence_score(hypothesis, references).score


def test_corpus_score_equals_sacrebleu_corpus_score(sacrebleu_ter):
    hypotheses = [h for h, refs in EDGE_CASES if len(refs) == 1]
    references = [refs[0] for _, refs in EDGE_CASES if len(refs) == 1]
    expected = sacrebleu_ter.corpus_score(hypotheses, [references]).score
    rows = [item_stats(h, r)["ter"] for h, r in zip(hypotheses, references)]
    assert corpus_score("ter", rows) == expected and ter.corpus_ter(rows) == expected


LEGAL_TEXT = st.text(alphabet="被告人犯盗窃罪的法院判处有期徒刑年，。、《》()ab12 ", max_size=40)


@settings(max_examples=60, deadline=None)
@given(hypothesis=LEGAL_TEXT, reference=LEGAL_TEXT)
def test_equals_sacrebleu_on_random_texts(sacrebleu_ter, hypothesis, reference):
    assert ter.sentence_stats(hypothesis, [reference]) == sacrebleu_stats(sacrebleu_ter, hypothesis, [reference])


def test_needs_a_reference():
    with pytest.raises(ValueError, match="at least one reference"):
        ter.sentence_stats("被告人", [None])

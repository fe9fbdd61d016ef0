"""Legal Q&A text metrics against the reference libraries called directly, on real LawBench 3-8 answers."""

from __future__ import annotations

import collections
import doctest
import importlib
import json
import math
from pathlib import Path

import jieba
import numpy as np
import pytest
import sacrebleu
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
from nltk.translate.meteor_score import meteor_score
from rouge_chinese import Rouge

from lawbench.errors import LawbenchError
from lawbench.metrics.text import (
    METRICS,
    PAIR_METRICS,
    aggregate,
    bootstrap_ci,
    bootstrap_stderr,
    corpus_score,
    item_stats,
    pair_scores,
    score_items,
    text_metrics,
    text_metrics_ci,
)
from lawbench.text_scoring import score_text_file

MODELS = ("GPT4", "chatglm2-6b-hf", "qwen-7b-chat-hf")
FULL_MODEL = "qwen-7b-chat-hf"  # the fastest of the three to score in full (shortest answers)
SLICE = slice(0, 40)  # per-item checks on the other models stay quick


def load_3_8(shared_data: Path, model: str) -> tuple[list[str], list[str]]:
    path = shared_data / "lawbench_oc" / "predictions" / "zero_shot" / model / "3-8.json"
    if not path.is_file():
        pytest.skip(f"LawBench 3-8 predictions not found at {path}")
    records = json.loads(path.read_text(encoding="utf-8")).values()
    return [r["prediction"] for r in records], [r["refr"] for r in records]


@pytest.fixture(scope="module")
def full(shared_data):
    predictions, references = load_3_8(shared_data, FULL_MODEL)
    return predictions, references, score_items(predictions, references)


# --- the reference implementations, called directly --------------------------------------------------

def words(text: str) -> list[str]:
    return [w for w in jieba.cut(text) if w.strip()]


def direct_rouge(prediction: str, reference: str) -> dict:
    # As LawBench's compute_rouge does it: jieba pieces joined by spaces, rouge-chinese F.
    return Rouge().get_scores(" ".join(jieba.cut(prediction)), " ".join(jieba.cut(reference)))[0]


def direct_bleu(prediction: str, reference: str, n: int) -> float:
    return sentence_bleu([words(reference)], words(prediction), weights=(1 / n,) * n,
                         smoothing_function=SmoothingFunction().method3)


class EmptyWordNet:
    def synsets(self, word, *args, **kwargs):
        return []


def direct_meteor(prediction: str, reference: str) -> float:
    return meteor_score([words(reference)], words(prediction), wordnet=EmptyWordNet())


# --- equality with the reference implementations ---------------------------------------------------

def test_rouge_l_reproduces_lawbench_official_3_8_score(shared_data, full):
    _, _, items = full
    official = json.loads((shared_data / "lawbench_oc" / "predictions" / "official_scores.json").read_text())
    expected = next(o["official_score"] for o in official if o["model"] == FULL_MODEL and o["task"] == "3-8")
    assert aggregate(items)["rougeL"] == pytest.approx(expected, abs=1e-12)


def test_rouge_equals_rouge_chinese_called_directly(full):
    predictions, references, items = full
    direct = [direct_rouge(p, r) for p, r in zip(predictions, references)]
    for ours, theirs in zip(items.pairs, direct):
        assert (ours["rouge1"], ours["rouge2"], ours["rougeL"]) == (
            theirs["rouge-1"]["f"], theirs["rouge-2"]["f"], theirs["rouge-l"]["f"])
    result = aggregate(items)
    for key, theirs in (("rouge1", "rouge-1"), ("rouge2", "rouge-2"), ("rougeL", "rouge-l")):
        assert result[key] == pytest.approx(sum(d[theirs]["f"] for d in direct) / len(direct), abs=1e-12)


def test_corpus_metrics_equal_sacrebleu_called_directly(full):
    predictions, references, items = full
    result = aggregate(items)
    assert result["bleu"] == sacrebleu.corpus_bleu(predictions, [references], tokenize="zh").score
    # character TER: sacreBLEU needs seconds per pair, its equality is pinned in test_ter.py
    assert result["ter"] == corpus_score("ter", items.stats["ter"])
    assert result["chrf"] == sacrebleu.corpus_chrf(predictions, [references]).score
    assert 0 < result["bleu"] < 100 and result["ter"] > 0 and 0 < result["chrf"] < 100


@pytest.mark.parametrize("model", MODELS)
def test_per_order_bleu_and_meteor_equal_nltk_called_directly(shared_data, model):
    predictions, references = (texts[SLICE] for texts in load_3_8(shared_data, model))
    for ours, p, r in zip(pair_scores(predictions, references), predictions, references):
        for n in range(1, 5):
            assert ours[f"bleu{n}"] == pytest.approx(direct_bleu(p, r, n), abs=1e-12)
        assert ours["meteor"] == pytest.approx(direct_meteor(p, r), abs=1e-12)
        theirs = direct_rouge(p, r)
        assert ours["rougeL"] == theirs["rouge-l"]["f"]


def test_bleu_orders_are_cumulative_and_smoothed():
    # 3 words: no 4-gram exists, so BLEU-4 is smoothed (method3: p4 = 1/2), not 0.
    [scores] = pair_scores(["被告人犯盗窃罪"], ["被告人犯盗窃罪"])
    assert (scores["bleu1"], scores["bleu2"], scores["bleu3"]) == (1.0, 1.0, 1.0)
    assert scores["bleu4"] == pytest.approx(0.5 ** 0.25)


def test_keys_and_flags(full):
    result = aggregate(full[2])
    assert list(result) == [*METRICS, "n", "meteor_synonyms"]
    assert result["n"] == len(full[0]) and result["meteor_synonyms"] is False
    assert all(0 < result[k] < 1 for k in PAIR_METRICS)


# --- empty texts -----------------------------------------------------------------------------------

def test_empty_or_whitespace_prediction_scores_zero_and_corpus_metrics_still_match():
    predictions = ["", "  \n\t", "被告人犯盗窃罪，判处有期徒刑一年。", "依法应当承担赔偿责任。"]
    references = ["被告人犯盗窃罪。", "构成诈骗罪。", "", "  "]
    pairs = pair_scores(predictions, references)
    assert all(score == 0.0 for pair in pairs for score in pair.values())
    result = text_metrics(predictions, references)
    assert result["n"] == 4 and all(result[k] == 0.0 for k in PAIR_METRICS)
    assert result["bleu"] == sacrebleu.corpus_bleu(predictions, [references], tokenize="zh").score
    assert result["ter"] == sacrebleu.corpus_ter(predictions, [references], normalized=True, asian_support=True).score
    assert result["chrf"] == sacrebleu.corpus_chrf(predictions, [references]).score
    assert all(math.isfinite(result[k]) for k in METRICS)


def test_both_empty_scores_zero_and_bad_input_is_rejected():
    assert text_metrics([""], [""])["rougeL"] == 0.0
    with pytest.raises(ValueError, match="no prediction/reference pairs"):
        text_metrics([], [])
    with pytest.raises(ValueError, match="2 predictions but 1 references"):
        text_metrics(["a", "b"], ["a"])
    with pytest.raises(TypeError, match="prediction 0 must be a string"):
        text_metrics([None], ["a"])


# --- segment once ----------------------------------------------------------------------------------

def test_each_text_is_segmented_exactly_once(monkeypatch):
    calls = collections.Counter()
    real_lcut = jieba.lcut

    def counting_lcut(text, *args, **kwargs):
        calls[text] += 1
        return real_lcut(text, *args, **kwargs)

    monkeypatch.setattr(jieba, "lcut", counting_lcut)
    predictions = [f"被告人甲{i}犯盗窃罪，判处有期徒刑{i}个月。" for i in range(5)]
    references = [f"被告人甲{i}构成盗窃罪，应判处有期徒刑{i}个月。" for i in range(5)]
    text_metrics(predictions, references)
    assert calls == collections.Counter(predictions + references)  # 10 texts, one jieba call each


# --- bootstrap -------------------------------------------------------------------------------------

def test_bootstrap_is_seeded_and_matches_the_analytic_stderr_of_a_mean():
    values = np.random.default_rng(7).random(400)
    first = bootstrap_ci(np.mean, values, iters=2000, seed=3)
    assert first == bootstrap_ci(np.mean, values, iters=2000, seed=3)
    assert first != bootstrap_ci(np.mean, values, iters=2000, seed=4)
    analytic = values.std(ddof=1) / math.sqrt(len(values))
    assert first.stderr == pytest.approx(analytic, rel=0.1)
    assert first.low < values.mean() < first.high
    assert bootstrap_stderr(np.mean, values, iters=2000, seed=3) == first.stderr


def test_corpus_bootstrap_agrees_with_sacrebleus_own_interval(full):
    predictions, references, items = full
    ours = bootstrap_ci(lambda rows: corpus_score("bleu", rows), items.stats["bleu"], iters=1000, seed=0)
    theirs = sacrebleu.metrics.BLEU(tokenize="zh").corpus_score(predictions, [references], n_bootstrap=1000)
    assert (ours.high - ours.low) / 2 == pytest.approx(theirs._ci, rel=0.2)
    assert ours.low < theirs.score < ours.high


def test_text_metrics_ci_covers_every_metric(full):
    items = full[2]
    result = aggregate(items)
    cis = text_metrics_ci(items, iters=200, seed=1)
    assert set(cis) == set(METRICS)
    for name, ci in cis.items():
        assert ci.stderr > 0 and ci.low <= result[name] <= ci.high, name


def test_corpus_score_from_item_rows_is_additive():
    rows = [item_stats(p, r)["chrf"] for p, r in [("构成盗窃罪。", "构成盗窃罪。"), ("无罪。", "构成诈骗罪。")]]
    assert corpus_score("chrf", rows) == sacrebleu.corpus_chrf(["构成盗窃罪。", "无罪。"],
                                                               [["构成盗窃罪。", "构成诈骗罪。"]]).score
    with pytest.raises(ValueError, match="unknown corpus metric"):
        corpus_score("meteor", rows)


# --- the file scorer -------------------------------------------------------------------------------

def write_lines(tmp_path: Path, lines: list[str] | bytes) -> Path:
    path = tmp_path / "preds.jsonl"
    path.write_bytes(lines if isinstance(lines, bytes) else "\n".join(lines).encode("utf-8"))
    return path


def test_score_text_file_scores_the_pairs(tmp_path):
    pairs = [("被告人犯盗窃罪。", "被告人构成盗窃罪。"), ("", "应当赔偿。"), ("合同无效。", "合同自始无效。")]
    lines = [json.dumps({"id": i, "prediction": p, "reference": r}, ensure_ascii=False)
             for i, (p, r) in enumerate(pairs)]
    path = write_lines(tmp_path, [lines[0], "", lines[1], "  ", lines[2], ""])
    assert score_text_file(path) == text_metrics([p for p, _ in pairs], [r for _, r in pairs])


@pytest.mark.parametrize(("lines", "message"), [
    (['{"prediction": "a", "reference": "b"}', '{"prediction": "a",'], r"line 2: invalid JSON at column \d+"),
    (['["a", "b"]'], r"line 1: expected an object"),
    (['{"prediction": "a", "reference": "b"}', "", '{"prediction": "a", "answer": "b"}'],
     r"line 3: missing field 'reference' \(fields present: 'prediction', 'answer'\)"),
    (['{"prediction": 3, "reference": "b"}'], r"line 1: field 'prediction' must be a string, got int 3"),
    (['{"prediction": null, "reference": "b"}'], r"line 1: field 'prediction' must be a string, got NoneType"),
    (["", "  "], r"no records"),
    ('{"prediction": "a", "reference": "b"}\n{"prediction": "\xb5", "reference": "b"}\n'.encode("latin-1"),
     r"line 2: not UTF-8 text \(byte 0xb5\)"),
])
def test_score_text_file_errors_name_the_file_and_line(tmp_path, lines, message):
    path = write_lines(tmp_path, lines)
    with pytest.raises(LawbenchError, match=message) as err:
        score_text_file(path)
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)


def test_score_text_file_missing_file(tmp_path):
    with pytest.raises(LawbenchError, match="file not found"):
        score_text_file(tmp_path / "nope.jsonl")


# --- docstring examples ----------------------------------------------------------------------------

@pytest.mark.parametrize("module", ["lawbench.metrics.text", "lawbench.metrics.text.segment",
                                    "lawbench.metrics.text.pairwise", "lawbench.metrics.text.corpus",
                                    "lawbench.metrics.text.bootstrap", "lawbench.metrics.text.suite",
                                    "lawbench.text_scoring"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0

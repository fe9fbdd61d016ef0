"""Preference data for dpo / kto / rm: pairs from rejection sampling, KTO splits and class balance, formats."""

from __future__ import annotations

import doctest
import json

import pytest

from lawbench.errors import DataError, LawbenchError
from lawbench.recipes import preference
from lawbench.recipes.args import RecipeArguments
from lawbench.recipes.preference import (
    PairingArguments,
    kto_class_balance,
    load_preference_data,
    pairs_from_samples,
    rotation,
    split_pairs,
    unpaired_from_samples,
)

PROMPT = [{"role": "system", "content": "你是法官。"}, {"role": "user", "content": "案件事实……"}]


def sampled_rows() -> list[dict]:
    """A hand-written rs-sft sampled.jsonl: 4 cases, 12 sampled answers.

    case 0: accepted a1, a2; rejected r1, r2, r3 (r1 sampled twice)  -> A=2, R=3
    case 1: accepted b only                                           -> no pair
    case 2: rejected c1, c2 only                                      -> no pair
    case 3: accepted d1; rejected d2                                  -> A=1, R=1
    """
    answers = {0: [("a1", True), ("r1", False), ("a2", True), ("r2", False), ("r1", False), ("r3", False)],
               1: [("b", True)], 2: [("c1", False), ("c2", False)], 3: [("d2", False), ("d1", True)]}
    rows = []
    for case, sampled in answers.items():
        prompt = PROMPT[:1] + [{"role": "user", "content": f"案件{case}"}]
        rows += [{"case": case, "sample": k, "response": text, "accepted": ok, "weight": 0.0, "gold": {},
                  "prompt": prompt} for k, (text, ok) in enumerate(sampled)]
    return rows


def summary(pairs: list[dict]) -> list[tuple[str, str, str]]:
    return [(p["prompt"][-1]["content"], p["chosen"][0]["content"], p["rejected"][0]["content"]) for p in pairs]


def test_module_examples_run():
    assert doctest.testmod(preference).failed == 0


def test_pairs_from_rejection_sampling_counted_by_hand():
    pairs, stats = pairs_from_samples(sampled_rows())
    # default min(A, R) per case: case 0 -> 2, case 3 -> 1, cases 1 and 2 -> 0
    assert stats == {"cases": 4, "pairs": 3, "cases_with_pairs": 2, "pairs_per_case": "min(accepted, rejected)",
                     "pairs_seed": 0}
    case0 = [p for p in summary(pairs) if p[0] == "案件0"]
    assert len({c for _, c, _ in case0}) == 2 and len({r for _, _, r in case0}) == 2  # no answer used twice
    assert [p for p in summary(pairs) if p[0] == "案件3"] == [("案件3", "d1", "d2")]
    assert all(p["prompt"][0] == PROMPT[0] for p in pairs)  # the case's chat, system turn included
    # a cap above A x R gives every distinct combination once: 2 x 3 + 1 x 1
    every, _ = pairs_from_samples(sampled_rows(), pairs_per_case=100)
    assert len(every) == 7 and len(set(summary(every))) == 7
    assert {(c, r) for q, c, r in summary(every) if q == "案件0"} == {(a, r) for a in ("a1", "a2")
                                                                     for r in ("r1", "r2", "r3")}
    assert len(pairs_from_samples(sampled_rows(), pairs_per_case=1)[0]) == 2


def test_pair_choice_is_seeded_and_per_case():
    same = summary(pairs_from_samples(sampled_rows(), seed=7)[0])
    assert same == summary(pairs_from_samples(sampled_rows(), seed=7)[0])
    choices = {tuple(summary(pairs_from_samples(sampled_rows(), seed=s)[0])) for s in range(10)}
    assert len(choices) > 1  # the seed picks which 2 of case 0's 6 combinations
    # dropping a case leaves the other cases' pairs unchanged
    without_case0 = [row for row in sampled_rows() if row["case"] != 0]
    assert summary(pairs_from_samples(without_case0, seed=7)[0]) == [p for p in same if p[0] != "案件0"]


@pytest.mark.parametrize(("a", "r"), [(1, 1), (2, 3), (3, 2), (4, 4), (1, 5), (5, 2)])
def test_rotation_uses_every_answer_before_repeating_one(a, r):
    order = rotation(a, r)
    assert sorted(order) == [(i, j) for i in range(a) for j in range(r)]  # each combination once
    first = order[: min(a, r)]
    assert len({i for i, _ in first}) == len(first) == len({j for _, j in first})


def test_unpaired_samples_from_rejection_sampling():
    samples, stats = unpaired_from_samples(sampled_rows())
    # distinct answers: case 0: 2 + 3, case 1: 1 + 0, case 2: 0 + 2, case 3: 1 + 1
    assert stats == {"cases": 4, "desirable": 4, "undesirable": 6}
    assert [(s["completion"][0]["content"], s["label"]) for s in samples if s["prompt"][-1]["content"] == "案件2"] == [
        ("c1", False), ("c2", False)]


def test_kto_class_balance_matches_trls_range():
    low = kto_class_balance(2, 6)  # weighted ratio 1/3
    assert not low.in_range and low.ratio == pytest.approx(1 / 3)
    assert low.advice == "set --desirable_weight between 3.00 and 4.00 (e.g. 3.50)"
    assert kto_class_balance(2, 6, desirable_weight=3.5).in_range
    assert kto_class_balance(2, 6, desirable_weight=3.0).in_range and not kto_class_balance(2, 6, 4.01).in_range
    high = kto_class_balance(6, 2)  # ratio 3: raise undesirable_weight to 3 / (4/3) .. 3
    assert high.advice == "set --undesirable_weight between 2.25 and 3.00 (e.g. 2.62)"
    assert kto_class_balance(6, 2, undesirable_weight=2.25).in_range
    assert kto_class_balance(4, 3).in_range and kto_class_balance(5, 5).in_range  # 4/3 and 1: the bounds
    assert "no undesirable samples" in kto_class_balance(3, 0).advice


def test_split_pairs_counts_a_repeated_answer_once():
    pairs = [{"prompt": "p", "chosen": "good", "rejected": f"bad{i}"} for i in range(3)]
    assert [(s["completion"], s["label"]) for s in split_pairs(pairs)] == [
        ("good", True), ("bad0", False), ("bad1", False), ("bad2", False)]


def _args(*sources) -> RecipeArguments:
    return RecipeArguments(dataset=[str(s) for s in sources])


def test_dataset_can_be_the_rs_sft_folder_or_its_file(tmp_path):
    (tmp_path / "sampled.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in sampled_rows()),
                                            encoding="utf-8")
    (tmp_path / "trainer_state.json").write_text("{}", encoding="utf-8")  # other files of the folder are not data
    by_folder, described = load_preference_data(_args(tmp_path), "pairs")
    by_file, _ = load_preference_data(_args(tmp_path / "sampled.jsonl"), "pairs", PairingArguments(pairs_per_case=100))
    assert len(by_folder) == 3 and len(by_file) == 7
    assert described[0]["format"] == "rs_samples" and described[0]["cases_with_pairs"] == 2
    samples, described = load_preference_data(_args(tmp_path), "unpaired")
    assert len(samples) == 10 and described[0]["desirable"] == 4


def test_preference_and_unpaired_files(tmp_path):
    import pandas as pd

    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"prompt": "问", "chosen": "对", "rejected": "错"}, ensure_ascii=False) + "\n" +
                     json.dumps({"prompt": PROMPT, "chosen": [{"role": "assistant", "content": "对"}],
                                 "rejected": "错"}, ensure_ascii=False) + "\n", encoding="utf-8")
    records, _ = load_preference_data(_args(pairs), "pairs")
    assert records[0] == {"prompt": [{"role": "user", "content": "问"}],
                          "chosen": [{"role": "assistant", "content": "对"}],
                          "rejected": [{"role": "assistant", "content": "错"}]}
    assert records[1]["prompt"] == PROMPT
    samples, described = load_preference_data(_args(pairs), "unpaired")
    assert [s["label"] for s in samples] == [True, False, True, False] and described[0]["split_into"] == 4
    labelled = tmp_path / "kto.csv"
    pd.DataFrame({"prompt": ["问", "问"], "completion": ["对", "错"],
                  "label": ["true", "0"]}).to_csv(labelled, index=False)
    assert [s["label"] for s in load_preference_data(_args(labelled), "unpaired")[0]] == [True, False]


def test_bad_preference_inputs_are_one_line_errors(tmp_path):
    from tests.support.sources import write_lawshift

    lawshift = write_lawshift(tmp_path, {"term_up": 2}) / "term_up" / "original.json"
    with pytest.raises(DataError, match="lawshift records are not preference data.*rs-sft's output"):
        load_preference_data(_args(lawshift), "pairs")
    unpaired = tmp_path / "u.jsonl"
    unpaired.write_text('{"prompt": "p", "completion": "c", "label": "maybe"}\n', encoding="utf-8")
    with pytest.raises(DataError, match="unpaired records are not preference data; this recipe needs prompt/chosen"):
        load_preference_data(_args(unpaired), "pairs")
    with pytest.raises(DataError, match=r"u\.jsonl record 0: 'label' must be true or false"):
        load_preference_data(_args(unpaired), "unpaired")
    old = tmp_path / "old" / "sampled.jsonl"
    old.parent.mkdir()
    old.write_text(json.dumps({k: v for k, v in sampled_rows()[0].items() if k != "prompt"}) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="row 0: no 'prompt'.*re-run `lawbench recipe rs-sft`"):
        load_preference_data(_args(old.parent), "pairs")
    one_sided = tmp_path / "one" / "sampled.jsonl"
    one_sided.parent.mkdir()
    one_sided.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in sampled_rows() if r["case"] == 1),
                         encoding="utf-8")
    with pytest.raises(LawbenchError, match="no pairs in .*use kto"):
        load_preference_data(_args(one_sided), "pairs")
    with pytest.raises(DataError, match="ends with an assistant turn"):
        preference.chat_prompt(PROMPT + [{"role": "assistant", "content": "x"}], "x")

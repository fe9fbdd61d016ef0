"""Rubrics as data: recorded judge replies parsed and scaled, rubric files validated with one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lawbench.errors import DataError
from lawbench.judge.rubric import BUILT_IN, Rubric, load_rubric

REPLIES = json.loads((Path(__file__).parent / "replies.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["disc", "legal10"])
def test_recorded_replies_parse_and_scale(name):
    rubric = load_rubric(name)
    for case in REPLIES[name]:
        judgment = rubric.parse(case["reply"])
        if case["aspects"] is None:
            assert judgment is None, case["reply"]
            continue
        assert judgment is not None, case["reply"]
        assert list(judgment.aspects.values()) == case["aspects"]
        assert judgment.scaled == pytest.approx(case["scaled"], abs=1e-6)
        assert 0.0 <= judgment.scaled <= 1.0


def test_recorded_pairwise_verdicts():
    cases = REPLIES["pairwise"]
    assert [Rubric.parse_verdict(c["reply"]) for c in cases] == [c["verdict"] for c in cases]


def test_built_in_prompts_fill_only_their_placeholders():
    for name in BUILT_IN:
        rubric = load_rubric(name)
        messages = rubric.messages("问{question}题", "参考", "回答")
        text = messages[-1]["content"]
        assert messages[0]["role"] == "system" and "问{question}题" in text and "参考" in text and "回答" in text
        assert '{"' in text  # the JSON example keeps its braces
        assert "长短" in text  # length must not influence the score
        pair = rubric.pairwise_messages("问", "参考", "甲的回答", "乙的回答")[-1]["content"]
        assert pair.index("甲的回答") < pair.index("乙的回答")
    assert "8 分" in load_rubric("legal10").prompt  # the reference is anchored at 8
    assert load_rubric("disc").sha256 != load_rubric("legal10").sha256


GOOD = """name: mine
scale: {min: 0, max: 2}
aspects: [{name: correct}]
prompt: "Q {question} R {reference} A {answer}"
"""


@pytest.mark.parametrize("text, message", [
    ("[1, 2]", r"rubric.yaml: a rubric is a YAML mapping"),
    ("name: [", r"rubric.yaml: not valid YAML"),
    (GOOD.replace("name: mine", "name: ../x"), r"rubric.yaml: 'name' must be letters"),
    (GOOD.replace("{min: 0, max: 2}", "{min: 3, max: 2}"), r"'scale' must be \{min: N, max: M\} with numbers N < M"),
    (GOOD.replace("[{name: correct}]", "[]"), r"'aspects' must name at least one aspect"),
    (GOOD + "overall: nope\n", r"'overall' must be 'mean' or one of the aspects \(correct\)"),
    (GOOD.replace(" R {reference}", ""), r"'prompt' must contain \{reference\}"),
    (GOOD + "pairwise_prompt: '{question} {reference} {answer_a}'\n", r"'pairwise_prompt' must contain \{answer_b\}"),
])
def test_bad_rubric_files_are_one_line_errors(tmp_path, text, message):
    path = tmp_path / "rubric.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message) as caught:
        load_rubric(str(path))
    assert "\n" not in str(caught.value)


def test_a_user_rubric_file_judges(tmp_path):
    path = tmp_path / "rubric.yaml"
    path.write_text(GOOD, encoding="utf-8")
    rubric = load_rubric(str(path))
    assert rubric.parse('{"correct": 1}').scaled == 0.5
    with pytest.raises(DataError, match="no pairwise_prompt"):
        rubric.pairwise_messages("q", "r", "a", "b")
    with pytest.raises(DataError, match="neither a built-in rubric"):
        load_rubric(str(tmp_path / "missing.yaml"))


def test_open_answer_tasks_opt_in_to_judging():
    """The judged set is data: task metadata, as lm-eval resolves each YAML with its includes."""
    from lm_eval.tasks._yaml_loader import load_yaml

    from lawbench.judge.pointwise import is_judged
    from lawbench.tasks import TASKS_DIR

    def judged(path: str) -> bool:
        return is_judged(load_yaml(Path(TASKS_DIR) / path, resolve_func=False).get("metadata"))

    for path in ("legal_qa/legal_qa_disc_subjective.yaml", "legal_qa/legal_qa_lawbench_3_8.yaml",
                 "lawbench_oc/lawbench_oc_3_8.yaml", "lexeval/lexeval_5_3.yaml", "lexeval/lexeval_5_4.yaml"):
        assert judged(path), path
    for path in ("lawbench_oc/lawbench_oc_3_7.yaml", "lexeval/lexeval_1_1.yaml"):
        assert not judged(path), path
    meta = load_yaml(Path(TASKS_DIR) / "lawbench_oc/lawbench_oc_3_8.yaml", resolve_func=False)["metadata"]
    assert meta["lawbench_bootstrap_iters"] == 100  # the template's entries are kept

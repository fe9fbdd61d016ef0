"""RL rewards built on lawbench's scorers: plain ``(completions, **kwargs) -> list[float | None]``.

They follow TRL's reward-function convention, so the same functions serve ``GRPOTrainer`` and
lawbench's PPO: ``completions`` are strings or conversational completions (lists of messages), and
the gold fields arrive as keyword arguments holding one value per completion (TRL passes every
dataset column that way). A reward returns ``None`` for a row it does not apply to (no gold field for
it, e.g. ``choice`` on a LawShift case); TRL then ignores it for that row, and :func:`weighted_sum`
adds up only the rewards that apply.

==========  ============================================================  =======================
name        reward                                                        gold columns
==========  ============================================================  =======================
``format``  1.0 for a closed ``<answer>…</answer>`` holding a whole         (none; ``task`` ``term``
            judgment, 0.5 for answer tags that do not, 0.0 without tags     / ``choice`` rows: None)
``charge``  1.0 when the charge is right (a not-guilty outcome: only a       ``charge``, ``prison_time``
            not-guilty answer counts), else 0.0                              (+ ``side``, ``shift_type``)
``term``    CAIL2018 log-distance closeness of the prison term, in           ``prison_time`` (months;
            0, 0.2, ..., 1.0 (:func:`~lawbench.metrics.term_score`)          10000/10001 = life/death)
``choice``  1.0 when the chosen letter(s) equal ``answer`` exactly           ``answer`` (``"C"``, ``"ABD"``)
``simi-     Q&A: jieba-word Jaccard overlap with the gold answer, plus the   ``reference`` (else
larity``    embedding cosine when ``$LAWBENCH_REWARD_EMBEDDING_MODEL``       ``response`` / ``output``
            names a sentence-transformers model (:func:`similarity_reward`)  / a free-text ``answer``)
``rouge``   Q&A: ROUGE-L F with the gold answer, evaluation's own            as ``similarity``
            implementation (jieba words, rouge-chinese's formula)
==========  ============================================================  =======================

Every judgment is read and scored by :func:`~lawbench.metrics.score_judgment` and every choice by
:func:`~lawbench.metrics.score_choice`, the scorers evaluation uses. ``side`` / ``shift_type``
(default ``original`` / ``V``) score a case after a statute change the way the LawShift evaluation
does. Alone, each reward parses its completions itself; :func:`reward_columns` (and so
:func:`weighted_sum`) parses each completion once (:func:`judgment_scores`) and hands the records to
``format``, ``charge`` and ``term``.

Example:
    >>> rewards = weighted_sum(["format", "charge", "term"], [0.2, 0.4, 0.4])
    >>> rewards(["<answer>盗窃 | 6</answer>", "<answer>诈骗 | 24</answer>", "不知道"],
    ...         charge=["盗窃"] * 3, prison_time=[6] * 3)
    [1.0, 0.2, 0.0]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from lawbench.judge.reward import judge_reward
from lawbench.metrics.choice import LETTERS, score_choice
from lawbench.metrics.judgment import parse_judgment, strip_reasoning
from lawbench.metrics.lawshift import score_judgment
from lawbench.metrics.score import Score

RewardFunc = Callable[..., list]

_ANSWER_OPEN = re.compile(r"<\s*answer\s*>", re.IGNORECASE)
_ANSWER_CLOSE = re.compile(r"<\s*/\s*answer\s*>", re.IGNORECASE)
_NO_ANSWER_TAGS = ("term", "choice")  # tasks whose prompts ask for another answer format
# The keyword under which weighted_sum hands its once-per-batch judgment records to the rewards below
# (an explicit argument, not a cache: a reward called alone, as TRL does, parses for itself).
_JUDGMENT_SCORES = "_lawbench_judgment_scores"


def completion_text(completion: Any) -> str:
    """The text of one completion: a string, or the assistant messages of a conversational completion.

    >>> completion_text([{"role": "assistant", "content": "<answer>盗窃 | 6</answer>"}])
    '<answer>盗窃 | 6</answer>'
    >>> completion_text("答案是C")
    '答案是C'
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        completion = [completion]
    if isinstance(completion, list):
        parts = []
        for message in completion:
            if not isinstance(message, dict) or message.get("role", "assistant") != "assistant":
                continue
            content = message.get("content", "")
            if isinstance(content, list):  # content blocks: [{"type": "text", "text": ...}]
                content = "".join(block.get("text", "") for block in content if isinstance(block, dict))
            parts.append(str(content or ""))
        return "".join(parts)
    raise TypeError(f"a completion must be a string or a list of messages, got {type(completion).__name__}")


def _column(kwargs: dict, name: str, size: int, default: Any = None) -> list:
    values = kwargs.get(name)
    if values is None:
        return [default] * size
    if len(values) != size:
        raise ValueError(f"reward column '{name}' has {len(values)} values for {size} completions")
    return [default if v is None else v for v in values]


def judgment_scores(completions: list, **kwargs) -> list[Score]:
    """Each completion parsed once: its :func:`~lawbench.metrics.score_judgment` record where the row has a
    gold ``prison_time``, else a record holding only the parsed judgment (empty ``value``).

    >>> [(s.value.get("charge_acc"), s.canonical) for s in judgment_scores(
    ...     ["<answer>盗窃 | 6</answer>", "<answer>不违规</answer>"], charge=["盗窃", None], prison_time=[6, None])]
    [(1.0, '盗窃 | 6'), (None, '不违规')]
    """
    if kwargs.get(_JUDGMENT_SCORES) is not None:  # handed over by weighted_sum: already parsed
        return kwargs[_JUDGMENT_SCORES]
    n = len(completions)
    charges, terms = _column(kwargs, "charge", n), _column(kwargs, "prison_time", n)
    sides, shifts = _column(kwargs, "side", n, "original"), _column(kwargs, "shift_type", n, "V")
    records = []
    for completion, charge, term, side, shift in zip(completions, charges, terms, sides, shifts):
        judgment = parse_judgment(completion_text(completion))
        if term is None:
            records.append(Score({}, answer=judgment, canonical=judgment.canonical(),
                                 explanation="no gold prison_time: not scored"))
        else:
            records.append(score_judgment(judgment, charge=charge or "", prison_time=int(term), side=side,
                                          shift_type=shift))
    return records


def format_reward(completions: list, **kwargs) -> list[float | None]:
    """1.0: one closed answer block holding a whole judgment; 0.5: one answer block, but not that;
    0.0: no answer block, or several (repeating the tag is not an answer and must not pay).

    Rows whose ``task`` is ``term`` or ``choice`` (prompts that ask for another format) get ``None``.

    >>> format_reward(["<think>…</think><answer>盗窃 | 6</answer>", "<answer>不违规", "<answer>嗯</answer>",
    ...                "盗窃 | 6"])
    [1.0, 0.5, 0.5, 0.0]
    >>> format_reward(["<answer><answer><answer>"])
    [0.0]
    >>> format_reward(["C"], task=["choice"])
    [None]
    """
    tasks = _column(kwargs, "task", len(completions))
    records = kwargs.get(_JUDGMENT_SCORES) or [None] * len(completions)
    rewards: list[float | None] = []
    for completion, task, record in zip(completions, tasks, records):
        if task in _NO_ANSWER_TAGS:
            rewards.append(None)
            continue
        text = strip_reasoning(completion_text(completion))
        if len(_ANSWER_OPEN.findall(text)) != 1:
            rewards.append(0.0)
            continue
        # parse_judgment drops the reasoning itself, so the record's judgment is this text's judgment.
        judgment = record.answer if record is not None else parse_judgment(text)
        whole = bool(_ANSWER_CLOSE.search(text)) and judgment.source == "answer_tag" and judgment.complete
        rewards.append(1.0 if whole else 0.5)
    return rewards


def charge_reward(completions: list, **kwargs) -> list[float | None]:
    """1.0 when the judgment names the right charge (``None`` for rows without a ``charge``).

    >>> charge_reward(["<answer>盗窃罪 | 3</answer>", "<answer>诈骗 | 6</answer>", "<answer>不违规</answer>"],
    ...               charge=["盗窃", "盗窃", "盗窃"], prison_time=[6, 6, 6], shift_type=["V", "V", "NV"],
    ...               side=["original", "original", "poisoned"])
    [1.0, 0.0, 1.0]
    >>> charge_reward(["刑期:6个月"], prison_time=[6])
    [None]
    """
    charges = _column(kwargs, "charge", len(completions))
    return [None if charge is None or "charge_acc" not in record.value else record.value["charge_acc"]
            for charge, record in zip(charges, judgment_scores(completions, **kwargs))]


def term_reward(completions: list, **kwargs) -> list[float | None]:
    """CAIL2018 closeness of the stated prison term to ``prison_time`` (``None`` without it).

    >>> term_reward(["<answer>盗窃 | 6</answer>", "<answer>盗窃 | 8</answer>", "<answer>盗窃 | 24</answer>",
    ...              "[刑期]六个月<eoa>", "<answer>故意杀人 | XT</answer>"],
    ...             charge=["盗窃"] * 3 + [None, "故意杀人"], prison_time=[6, 6, 6, 6, 10001])
    [1.0, 0.8, 0.0, 1.0, 1.0]
    """
    return [record.value.get("term_score") for record in judgment_scores(completions, **kwargs)]


def choice_reward(completions: list, **kwargs) -> list[float | None]:
    """1.0 when the chosen option letter(s) equal ``answer`` (``None`` where ``answer`` is not letters A-D).

    >>> choice_reward(["经分析，答案是C。", "选A", "正确答案：A、B和D"], answer=["C", "C", "ABD"])
    [1.0, 0.0, 1.0]
    """
    answers = _column(kwargs, "answer", len(completions))
    rewards: list[float | None] = []
    for completion, answer in zip(completions, answers):
        letters = str(answer).strip().upper() if answer is not None else ""
        if not letters or any(letter not in LETTERS for letter in letters):
            rewards.append(None)
            continue
        rewards.append(score_choice(completion_text(completion), letters).value["exact_match"])
    return rewards


GOLD_ANSWER_COLUMNS = ("reference", "response", "output", "answer")  # the first a row has is its gold answer


def gold_answers(n: int, **kwargs) -> list[str | None]:
    """Each row's gold free-text answer; ``None`` where it has none (an ``answer`` of option letters is a choice).

    >>> gold_answers(3, reference=["依法…", None, None], answer=[None, "C", "应当赔偿"])
    ['依法…', None, '应当赔偿']
    """
    columns = [(name, _column(kwargs, name, n)) for name in GOLD_ANSWER_COLUMNS]
    tasks = _column(kwargs, "task", n)
    gold: list[str | None] = []
    for row in range(n):
        found = None
        for name, values in columns:
            value = values[row]
            if not isinstance(value, str) or not value.strip():
                continue
            if name == "answer" and (tasks[row] == "choice" or all(c in LETTERS for c in value.strip().upper())):
                continue
            found = value
            break
        gold.append(found)
    return gold


def jaccard(a: str, b: str) -> float:
    """Overlap of the jieba word sets of two texts, |A ∩ B| / |A ∪ B| (0.0 when both are empty).

    >>> jaccard("被告人构成盗窃罪", "被告人构成诈骗罪"), jaccard("", "")
    (0.5, 0.0)
    """
    from lawbench.metrics.text import segment

    left, right = set(segment(a).tokens), set(segment(b).tokens)
    union = left | right
    return len(left & right) / len(union) if union else 0.0


def make_similarity_reward(embedding_model: str | None = None, cosine_weight: float = 1.0,
                           jaccard_weight: float = 1.0) -> RewardFunc:
    """The similarity reward: ``cosine_weight`` × embedding cosine (with ``embedding_model``) + ``jaccard_weight`` ×
    jieba-word Jaccard, against each row's gold answer (``None`` without one).

    The defaults are the seed project's PPO reward, cosine plus Jaccard (0..2); without an embedding model only
    the Jaccard term is there (0..1).

    >>> make_similarity_reward()(["被告人构成盗窃罪", "不知道"], reference=["被告人构成诈骗罪", None])
    [0.5, None]
    """
    encoder = None

    def similarity(completions: list, **kwargs) -> list[float | None]:
        nonlocal encoder
        texts = [completion_text(c) for c in completions]
        gold = gold_answers(len(texts), **kwargs)
        rows = [i for i, g in enumerate(gold) if g is not None]
        rewards: list[float | None] = [None] * len(texts)
        for i in rows:
            rewards[i] = jaccard_weight * jaccard(texts[i], gold[i])
        if embedding_model and rows:
            if encoder is None:
                from lawbench.rag.dense import Embedder

                encoder = Embedder(embedding_model)
            vectors = encoder.encode([texts[i] for i in rows] + [gold[i] for i in rows])
            for j, i in enumerate(rows):
                rewards[i] += cosine_weight * float(vectors[j] @ vectors[len(rows) + j])
        return rewards

    similarity.__name__ = "similarity"
    return similarity


def similarity_reward(completions: list, **kwargs) -> list[float | None]:
    """``similarity`` as registered: Jaccard, plus the cosine under ``$LAWBENCH_REWARD_EMBEDDING_MODEL`` when set.

    >>> similarity_reward(["依法应当赔偿损失"], answer=["应当赔偿损失"])  # {依法, 应当, 赔偿损失} vs {应当, 赔偿损失}
    [0.6666666666666666]
    """
    import os

    return _similarity_for(os.environ.get("LAWBENCH_REWARD_EMBEDDING_MODEL") or None)(completions, **kwargs)


_SIMILARITY: dict[str | None, RewardFunc] = {}


def _similarity_for(model: str | None) -> RewardFunc:
    if model not in _SIMILARITY:  # one loaded embedding model per process
        _SIMILARITY[model] = make_similarity_reward(model)
    return _SIMILARITY[model]


def rouge_reward(completions: list, **kwargs) -> list[float | None]:
    """ROUGE-L F of each completion against the row's gold answer (the legal_qa ``rougeL``; ``None`` without one).

    >>> [round(r, 3) if r is not None else r for r in rouge_reward(
    ...     ["被告人犯盗窃罪，判处有期徒刑一年。", "好"], reference=["被告人构成盗窃罪，应判处有期徒刑一年。", None])]
    [0.824, None]
    """
    from lawbench.metrics.text import score_pair, segment

    gold = gold_answers(len(completions), **kwargs)
    return [None if g is None else score_pair(segment(completion_text(c)), segment(g))["rougeL"]
            for c, g in zip(completions, gold)]


REWARD_FUNCS: dict[str, RewardFunc] = {
    "format": format_reward,
    "charge": charge_reward,
    "term": term_reward,
    "choice": choice_reward,
    "similarity": similarity_reward,
    "rouge": rouge_reward,
    "judge": judge_reward,  # an LLM judge's rubric score vs a `reference` column (lawbench.judge.reward)
}
_READ_JUDGMENTS = (format_reward, charge_reward, term_reward)  # accept judgment_scores' records from weighted_sum


def reward_columns(funcs: Sequence[RewardFunc], completions: list, **kwargs) -> list[list[float | None]]:
    """Each reward function's column for ``completions``; when two or more of ``format``, ``charge`` and
    ``term`` are among ``funcs``, each completion is parsed once (:func:`judgment_scores`) and the records
    are handed to them. Other callables get the keyword arguments as they came.

    >>> reward_columns([format_reward, term_reward], ["<answer>盗窃 | 8</answer>"], prison_time=[6])
    [[1.0], [0.8]]
    """
    share = sum(f in _READ_JUDGMENTS for f in funcs) > 1
    shared = {_JUDGMENT_SCORES: judgment_scores(completions, **kwargs)} if share else {}
    return [list(f(completions, **kwargs, **(shared if f in _READ_JUDGMENTS else {}))) for f in funcs]


def combine_columns(columns: Sequence[Sequence[float | None]], weights: Sequence[float]) -> list[float | None]:
    """Σ weight·reward per row over the rewards that apply (``None`` when none does).

    >>> combine_columns([[1.0, None, None], [0.5, 1.0, None]], [0.2, 0.8])
    [0.6000000000000001, 0.8, None]
    """
    if len(columns) != len(weights):
        raise ValueError(f"{len(weights)} reward weights for {len(columns)} reward functions")
    combined: list[float | None] = []
    for row in zip(*columns):
        present = [w * r for w, r in zip(weights, row) if r is not None]
        combined.append(sum(present) if present else None)
    return combined


def weighted_sum(funcs: Sequence[str | RewardFunc], weights: Sequence[float] | None = None) -> RewardFunc:
    """One reward function: the weighted sum of ``funcs`` (names from :data:`REWARD_FUNCS` or callables).

    Each completion is parsed once per batch however many judgment rewards read it (:func:`reward_columns`).

    >>> weighted_sum(["format", "choice"])(["<answer>盗窃 | 6</answer>", "答案：B"], task=[None, "choice"],
    ...                                     answer=[None, "B"])
    [1.0, 1.0]
    """
    resolved = [reward_func(f) for f in funcs]
    weights = [1.0] * len(resolved) if weights is None else [float(w) for w in weights]
    if len(weights) != len(resolved):
        raise ValueError(f"{len(weights)} reward weights for {len(resolved)} reward functions")

    def combined(completions: list, **kwargs) -> list[float | None]:
        return combine_columns(reward_columns(resolved, completions, **kwargs), weights)

    combined.__name__ = "+".join(f"{w:g}*{getattr(f, '__name__', 'reward')}" for f, w in zip(resolved, weights))
    return combined


def reward_func(name_or_func: str | RewardFunc) -> RewardFunc:
    """A registered reward by name (``format``, ``charge``, ``term``, ``choice``, ``similarity``, ``rouge``), or the
    callable itself."""
    if callable(name_or_func):
        return name_or_func
    if name_or_func not in REWARD_FUNCS:
        raise ValueError(f"unknown reward '{name_or_func}'; choose from {', '.join(REWARD_FUNCS)}")
    return REWARD_FUNCS[name_or_func]

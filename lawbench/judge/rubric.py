"""Judge rubrics as data: a small YAML file with a scale, aspects, prompts and a JSON output format.

Two ship with lawbench (``lawbench/judge/rubrics/``): ``disc`` (accuracy, completeness and clarity, 1-5
each, against a reference answer, the criteria of DISC-Law-Eval's subjective set) and ``legal10`` (one
1-10 score against a reference answer worth 8, as AlignBench-style judges and LexRAG's legal variant
score). ``--judge-rubric FILE`` takes a user's file of the same shape::

    name: my-rubric
    scale: {min: 1, max: 5}
    aspects: [{name: accuracy, description: ...}, ...]
    overall: mean            # or the name of one aspect
    system: ...              # optional system message
    prompt: ... {question} ... {reference} ... {answer} ...
    pairwise_prompt: ... {answer_a} ... {answer_b} ...   # optional: for pairwise judging

Only the placeholders named here are filled in (other braces, e.g. a JSON example, stay as they are).
The judge replies with one JSON object holding an integer or number per aspect.

Example:
    >>> rubric = load_rubric("disc")
    >>> judgment = rubric.parse('好的。{"accuracy": 4, "completeness": 3, "clarity": 5, "reason": "..."}')
    >>> judgment.aspects, judgment.overall, round(judgment.scaled, 4)
    ({'accuracy': 4.0, 'completeness': 3.0, 'clarity': 5.0}, 4.0, 0.75)
    >>> rubric.parse("4 分") is None
    True
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from lawbench.errors import DataError
from lawbench.utils.io import sha256_text

RUBRICS_DIR = Path(__file__).parent / "rubrics"
BUILT_IN = ("disc", "legal10")
POINT_FIELDS = ("question", "reference", "answer")
PAIR_FIELDS = ("question", "reference", "answer_a", "answer_b")
VERDICTS = {"a": "A", "b": "B", "tie": "tie", "draw": "tie", "平局": "tie"}
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


@dataclass(frozen=True)
class Judgment:
    """One parsed pointwise judgment: the aspect scores, the overall score and it scaled to [0, 1]."""

    aspects: dict[str, float]
    overall: float
    scaled: float


@dataclass(frozen=True)
class Rubric:
    name: str
    description: str
    low: float
    high: float
    aspects: tuple[str, ...]
    overall: str  # "mean" or an aspect name
    system: str | None
    prompt: str
    pairwise_prompt: str | None
    sha256: str  # of the file's text: what the manifest and the comparability guard compare

    # ------------------------------------------------------------------ prompts
    def messages(self, question: str, reference: str, answer: str) -> list[dict]:
        return self._chat(_fill(self.prompt, question=question, reference=reference, answer=answer))

    def pairwise_messages(self, question: str, reference: str, answer_a: str, answer_b: str) -> list[dict]:
        if not self.pairwise_prompt:
            raise DataError(f"rubric {self.name}: no pairwise_prompt, so it cannot judge pairs")
        return self._chat(_fill(self.pairwise_prompt, question=question, reference=reference,
                                answer_a=answer_a, answer_b=answer_b))

    def _chat(self, text: str) -> list[dict]:
        return ([{"role": "system", "content": self.system}] if self.system else []) + [{"role": "user",
                                                                                     "content": text}]

    def repair_message(self, pairwise: bool = False) -> dict:
        """The one follow-up turn sent when a reply did not parse."""
        wanted = ('{"winner": "A" | "B" | "tie", "reason": "..."}' if pairwise else
                  "{" + ", ".join(f'"{a}": {_fmt(self.low)}-{_fmt(self.high)}' for a in self.aspects)
                  + ', "reason": "..."}')
        return {"role": "user", "content": "Your reply could not be read. Reply again with only one JSON object, "
                                           f"nothing else: {wanted}"}

    # ------------------------------------------------------------------ replies
    def parse(self, text: str) -> Judgment | None:
        """The judgment in a reply, or ``None`` when no JSON object holds every aspect within the scale."""
        for found in json_objects(text):
            lowered = {str(k).strip().lower(): v for k, v in found.items()}
            scores = {a: _score(lowered.get(a.lower())) for a in self.aspects}
            if all(s is not None and self.low <= s <= self.high for s in scores.values()):
                overall = (sum(scores.values()) / len(scores) if self.overall == "mean" else scores[self.overall])
                return Judgment(scores, overall, (overall - self.low) / (self.high - self.low))
        return None

    @staticmethod
    def parse_verdict(text: str) -> str | None:
        """``"A"``, ``"B"`` or ``"tie"`` from a pairwise reply, else ``None``.

        >>> Rubric.parse_verdict('```json\\n{"winner": "b", "reason": "更完整"}\\n```'), Rubric.parse_verdict("B")
        ('B', None)
        """
        for found in json_objects(text):
            verdict = found.get("winner")
            if isinstance(verdict, str) and verdict.strip().lower() in VERDICTS:
                return VERDICTS[verdict.strip().lower()]
        return None


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _score(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _fill(template: str, **fields: str) -> str:
    return re.sub(r"\{(" + "|".join(fields) + r")\}", lambda m: fields[m.group(1)], template)


def json_objects(text: str):
    """Every JSON object in ``text`` (fenced or inline), outermost first.

    >>> list(json_objects('x {"a": 1} y {"b": {"c": 2}}'))
    [{'a': 1}, {'b': {'c': 2}}]
    """
    decoder = json.JSONDecoder()
    position = text.find("{")
    while position != -1:
        try:
            value, end = decoder.raw_decode(text, position)
        except ValueError:
            position = text.find("{", position + 1)
            continue
        if isinstance(value, dict):
            yield value
        position = text.find("{", end)


# --------------------------------------------------------------------------- loading
def load_rubric(spec: str) -> Rubric:
    """A built-in rubric by name (``disc``, ``legal10``) or a rubric file; a bad file is a one-line error."""
    from lawbench.utils.io import read_text_strict

    path = RUBRICS_DIR / f"{spec}.yaml" if spec in BUILT_IN else Path(spec)
    if spec not in BUILT_IN and not path.is_file():
        raise DataError(f"--judge-rubric: {spec} is neither a built-in rubric ({', '.join(BUILT_IN)}) nor a file")
    text = read_text_strict(path)
    return rubric_from_text(text, str(path) if spec not in BUILT_IN else spec)


def rubric_from_text(text: str, where: str) -> Rubric:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise DataError(f"{where}: not valid YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise DataError(f"{where}: a rubric is a YAML mapping (name, scale, aspects, prompt)")

    def need(key: str, kind, what: str):
        value = data.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise DataError(f"{where}: '{key}' must be {what}")
        return value

    name = need("name", str, "a name of letters, digits, '.', '_' or '-'")
    if not _NAME.match(name):
        raise DataError(f"{where}: 'name' must be letters, digits, '.', '_' or '-' (1-64 characters), got {name!r}")
    scale = need("scale", dict, "a mapping {min: N, max: M}")
    low, high = scale.get("min"), scale.get("max")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)) or low >= high:
        raise DataError(f"{where}: 'scale' must be {{min: N, max: M}} with numbers N < M")
    aspects_raw = need("aspects", list, "a list of {name, description}")
    aspects = []
    for index, aspect in enumerate(aspects_raw):
        aspect_name = aspect.get("name") if isinstance(aspect, dict) else aspect
        if not isinstance(aspect_name, str) or not _NAME.match(aspect_name):
            raise DataError(f"{where}: aspects[{index}] needs a 'name' of letters, digits, '.', '_' or '-'")
        aspects.append(aspect_name)
    if not aspects or len(set(aspects)) != len(aspects):
        raise DataError(f"{where}: 'aspects' must name at least one aspect, each once")
    overall = data.get("overall", "mean")
    if overall != "mean" and overall not in aspects:
        raise DataError(f"{where}: 'overall' must be 'mean' or one of the aspects ({', '.join(aspects)})")
    prompt = need("prompt", str, "the judging prompt (text with {question}, {reference}, {answer})")
    _require_fields(where, "prompt", prompt, POINT_FIELDS)
    pairwise = data.get("pairwise_prompt")
    if pairwise is not None:
        if not isinstance(pairwise, str):
            raise DataError(f"{where}: 'pairwise_prompt' must be text")
        _require_fields(where, "pairwise_prompt", pairwise, PAIR_FIELDS)
    system = data.get("system")
    if system is not None and not isinstance(system, str):
        raise DataError(f"{where}: 'system' must be text")
    return Rubric(name, str(data.get("description") or ""), float(low), float(high), tuple(aspects), overall,
                  system, prompt, pairwise, sha256_text(text))


def _require_fields(where: str, key: str, template: str, fields: tuple[str, ...]) -> None:
    missing = [f"{{{f}}}" for f in fields if f"{{{f}}}" not in template]
    if missing:
        raise DataError(f"{where}: '{key}' must contain {', '.join(missing)}")

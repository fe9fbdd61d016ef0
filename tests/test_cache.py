"""lawbench's request cache: JSON in SQLite, never pickles; keys cover what changes a prompt; damage is set aside."""

from __future__ import annotations

import pickle
import sqlite3
from types import SimpleNamespace

import pytest

from lawbench.cache import TABLE, RequestCache, prompt_salt
from lawbench.errors import LawbenchError


class FakeLM:
    """Just enough of an lm-eval LM: request methods and a cache hook."""

    def __init__(self):
        self.calls = []
        self.cache_hook = None

    def set_cache_hook(self, hook):
        self.cache_hook = hook

    def generate_until(self, requests):
        self.calls += [r.args[0] for r in requests]
        return [f"answer to {r.args[0]}" for r in requests]

    def loglikelihood(self, requests):
        self.calls += [r.args for r in requests]
        return [(-1.5, True) for _ in requests]


def req(*args):
    return SimpleNamespace(args=args)


def test_answers_are_json_and_reused_only_under_the_same_salt(tmp_path):
    lm, path = FakeLM(), tmp_path / "c.db"
    cache = RequestCache(path, prompt_salt(max_length=2048))
    with cache.attached(lm):
        assert lm.generate_until([req("a", {"until": []})]) == ["answer to a"]
        assert lm.loglikelihood([req("ctx", " B")]) == [(-1.5, True)]
        assert lm.generate_until([req("a", {"until": []}), req("b", {"until": []})]) == ["answer to a", "answer to b"]
        assert lm.loglikelihood([req("ctx", " B")]) == [(-1.5, True)]
    assert lm.calls == ["a", ("ctx", " B"), "b"]
    assert "generate_until" not in vars(lm) and lm.cache_hook is None  # the LM is as before
    with sqlite3.connect(path) as conn:
        values = sorted(v for (v,) in conn.execute(f"SELECT value FROM {TABLE}"))
    assert values == ['"answer to a"', '"answer to b"', "[-1.5, true]"]
    cache.close()
    other = RequestCache(path, prompt_salt(max_length=4096))  # another context length: nothing reused
    with other.attached(lm):
        lm.generate_until([req("a", {"until": []})])
    assert lm.calls[-1] == "a"
    sampled = RequestCache(path, prompt_salt(max_length=4096))
    with sampled.attached(lm):
        lm.generate_until([req("a", {"until": [], "do_sample": True})])
        lm.generate_until([req("a", {"until": [], "do_sample": True})])
    assert lm.calls[-2:] == ["a", "a"]  # sampled answers are never reused


def test_partial_answers_are_stored_as_they_come(tmp_path):
    lm = FakeLM()
    cache = RequestCache(tmp_path / "c.db", "s")
    with cache.attached(lm):
        lm.cache_hook.add_partial("generate_until", ("a", {"until": []}), "early")
        assert lm.generate_until([req("a", {"until": []})]) == ["early"]
    assert lm.calls == [] and len(cache) == 1


class Boom:
    def __reduce__(self):
        return (open, ("/tmp/lawbench-unpickled-was-run", "w"))


@pytest.mark.parametrize("content", ["not a database", "lm-eval pickles"])
def test_unusable_files_are_set_aside_never_loaded(tmp_path, content):
    path = tmp_path / "c.db"
    if content == "not a database":
        path.write_bytes(b"this is not sqlite" * 100)
    else:  # lm-eval's SqliteDict layout with a pickle that would run code when loaded
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE unnamed (key TEXT PRIMARY KEY, value BLOB)")
            conn.execute("INSERT INTO unnamed VALUES (?, ?)", ("k", pickle.dumps(Boom())))
    cache = RequestCache(path, "s")
    assert cache.set_aside is not None and cache.set_aside.name.startswith("c.db.corrupt-")
    assert cache.set_aside.is_file() and len(cache) == 0
    lm = FakeLM()
    with cache.attached(lm):
        lm.generate_until([req("a", {})])
    import os

    assert not os.path.exists("/tmp/lawbench-unpickled-was-run")


def test_malformed_values_are_misses_and_damage_mid_run_is_one_line(tmp_path):
    path = tmp_path / "c.db"
    cache = RequestCache(path, "s")
    lm = FakeLM()
    with cache.attached(lm):
        lm.generate_until([req("a", {})])
    cache.conn.execute(f"UPDATE {TABLE} SET value = '[1, 2]'")
    cache.conn.commit()
    with cache.attached(lm):
        assert lm.generate_until([req("a", {})]) == ["answer to a"]
    assert lm.calls == ["a", "a"]
    cache.conn.execute(f"DROP TABLE {TABLE}")
    with pytest.raises(LawbenchError, match="request cache .*c.db: no such table.*--no-cache"):
        cache.get("generate_until", ("a", {}))

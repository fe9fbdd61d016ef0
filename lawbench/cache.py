"""The request cache of ``lawbench eval``: finished model requests, stored as JSON in SQLite.

It keeps the semantics of lm-eval's ``CachingLM`` (one entry per request, looked up before the model is
called, each answer stored the moment the model returns it, so a run killed with ``kill -9`` resumes
without recomputing what it finished) but never stores or loads pickles: a cache handed over in someone
else's run folder is data, and loading it cannot run code. Values are JSON and are checked on read (a
``generate_until`` answer is a string, a ``loglikelihood`` a ``[number, bool]`` pair, a rolling
log-likelihood a number); anything else is a miss and is computed again.

A request's key is the sha256 of the request (its type, prompt and generation settings) and of a *salt*
with everything that changes the prompt the model sees or how it is cut: context length, truncation
mode, chat template, system prompt, few-shot settings (:func:`prompt_salt`). The file name carries the
model's identity (weights fingerprint, backend, dtype), see ``lawbench.evaluate``.

A file that is not such a cache (not SQLite, damaged, lm-eval's pickle store, another format version)
is set aside, renamed ``<name>.corrupt-<time>`` and reported, and a new cache is started; damage found
in the middle of a run is a one-line error.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

from lawbench.errors import LawbenchError, first_line

log = logging.getLogger(__name__)

FORMAT = "lawbench-request-cache/1"
TABLE = "unnamed"  # the table name lm-eval's SqliteDict used, so tools that count entries keep working
REQUEST_TYPES = ("generate_until", "loglikelihood", "loglikelihood_rolling")
_UNSET = object()


def prompt_salt(**settings: Any) -> str:
    """A digest of the settings that change a prompt or its cut (order of keywords does not matter).

    >>> prompt_salt(max_length=2048, chat_template=None) == prompt_salt(chat_template=None, max_length=2048)
    True
    >>> prompt_salt(max_length=2048) == prompt_salt(max_length=4096)
    False
    """
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def request_key(salt: str, attr: str, args) -> str:
    """The cache key of one request: salt, request type and arguments (prompt, generation kwargs)."""
    payload = json.dumps([salt, attr, *args], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _decode(attr: str, text: str):
    """The stored answer, or ``None`` when it is not a well-formed answer for ``attr``.

    >>> _decode("loglikelihood", "[-1.5, true]"), _decode("generate_until", "1"), _decode("loglikelihood", '"x"')
    ((-1.5, True), None, None)
    """
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return None
    number = (int, float)
    if attr == "generate_until":
        return value if isinstance(value, str) else None
    if attr == "loglikelihood":
        ok = (isinstance(value, list) and len(value) == 2 and isinstance(value[0], number)
              and not isinstance(value[0], bool) and isinstance(value[1], bool))
        return (float(value[0]), value[1]) if ok else None
    if attr == "loglikelihood_rolling":
        return float(value) if isinstance(value, number) and not isinstance(value, bool) else None
    if attr == "judge":  # lawbench.judge: a judge's reply and the token counts the server reported
        return value if isinstance(value, dict) and isinstance(value.get("text"), str) else None
    return None


def _encode(value) -> str | None:
    def plain(obj):
        if hasattr(obj, "item"):  # numpy / torch scalars
            return obj.item()
        raise TypeError(type(obj).__name__)

    try:
        text = json.dumps(value, ensure_ascii=False, default=plain)
    except (TypeError, ValueError):
        return None
    return text


class RequestCache:
    """One cache file; :meth:`attached` puts it in front of an lm-eval LM."""

    def __init__(self, path: str | Path, salt: str):
        self.path = Path(path)
        self.salt = salt
        self.set_aside: Path | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = self._open()
        except sqlite3.DatabaseError as err:
            self._set_aside(err)
            self.conn = self._open()

    # ------------------------------------------------------------------ file
    def _open(self) -> sqlite3.Connection:
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        conn = sqlite3.connect(str(self.path), timeout=30)
        try:
            if not fresh:
                check = conn.execute("PRAGMA quick_check").fetchone()
                if not check or check[0] != "ok":
                    raise sqlite3.DatabaseError(f"integrity check failed ({check[0] if check else '?'})")
                tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
                stored = (conn.execute("SELECT value FROM meta WHERE key='format'").fetchone()
                          if "meta" in tables else None)
                if not stored or stored[0] != FORMAT:
                    raise sqlite3.DatabaseError("not a lawbench request cache (an older or foreign format)")
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (FORMAT,))
            conn.commit()
        except BaseException:
            conn.close()
            raise
        return conn

    def _set_aside(self, err: BaseException) -> None:
        stamp = _dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        self.path.rename(target)
        for suffix in ("-journal", "-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                side.rename(target.with_name(target.name + suffix))
        self.set_aside = target
        log.warning("request cache %s is unusable (%s); set aside as %s, starting a new one",
                    self.path, first_line(err), target.name)

    def _fail(self, err: sqlite3.Error):
        raise LawbenchError(f"request cache {self.path}: {first_line(err)}; delete the file or re-run with "
                            "--no-cache") from None

    def close(self) -> None:
        self.conn.close()

    def __len__(self) -> int:
        return self.conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]

    # ------------------------------------------------------------------ entries
    def get(self, attr: str, args):
        try:
            row = self.conn.execute(f"SELECT value FROM {TABLE} WHERE key=?",
                                    (request_key(self.salt, attr, args),)).fetchone()
        except sqlite3.Error as err:
            self._fail(err)
        return _decode(attr, row[0]) if row else None

    def put(self, attr: str, args, value) -> None:
        text = _encode(value)
        if text is None or _decode(attr, text) is None:
            return
        try:
            with self.conn:  # committed at once: a kill -9 keeps every answer stored so far
                self.conn.execute(f"INSERT OR REPLACE INTO {TABLE} VALUES (?, ?)",
                                  (request_key(self.salt, attr, args), text))
        except sqlite3.Error as err:
            self._fail(err)

    # ------------------------------------------------------------------ in front of an LM
    @contextlib.contextmanager
    def attached(self, lm):
        """While in the block, ``lm``'s request methods go through the cache and its answers are stored as
        they come; afterwards ``lm`` is as before (a loaded model may be evaluated again, cached or not)."""
        saved = {attr: lm.__dict__.get(attr, _UNSET) for attr in REQUEST_TYPES}
        hook = getattr(lm, "cache_hook", None)
        for attr in REQUEST_TYPES:
            method = getattr(lm, attr, None)
            if callable(method):
                setattr(lm, attr, self._wrap(attr, method))
        lm.set_cache_hook(_Hook(self))
        try:
            yield lm
        finally:
            for attr, value in saved.items():
                if value is _UNSET:
                    lm.__dict__.pop(attr, None)
                else:
                    setattr(lm, attr, value)
            lm.cache_hook = hook

    def _wrap(self, attr: str, method):
        def cached(requests, *args, **kwargs):
            answers: list = [None] * len(requests)
            missing = []
            for i, request in enumerate(requests):
                sampled = attr == "generate_until" and bool((request.args[1] or {}).get("do_sample", False))
                found = None if sampled else self.get(attr, request.args)  # sampled answers are never reused
                if found is None:
                    missing.append(i)
                else:
                    answers[i] = found
            if missing:
                computed = method([requests[i] for i in missing], *args, **kwargs)
                for i, value in zip(missing, computed, strict=True):
                    answers[i] = value
                    self.put(attr, requests[i].args, value)
            return answers

        return cached


class _Hook:
    """lm-eval's ``CacheHook`` interface: models call ``add_partial`` after each finished request."""

    def __init__(self, cache: RequestCache):
        self.cache = cache

    def add_partial(self, attr: str, req, res) -> None:
        self.cache.put(attr, tuple(req), res)

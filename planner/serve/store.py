"""The scenarios the page can show: those the server was started with, and uploads (kept in memory only).

Each is named by an id; nothing the page sends is ever used as a path. An upload is checked like any scenario
file (size, encoding, YAML limits, every field), and a model given as a file path (a Hugging Face config.json)
is refused in uploads and in changes made on the page, so nothing on the machine beyond the scenarios named at
start-up can be read through the app.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from planner.errors import InputError, quoted
from planner.scenario import Scenario, Serving, Training, load_scenario

MAX_UPLOAD_BYTES = 1024 * 1024  # the same bound as any scenario file (pricing.yamlfile.MAX_YAML_BYTES)
MAX_UPLOADS = 50  # kept in memory; the oldest upload is forgotten past this
MAX_NAME_CHARS = 120

_SLUG = re.compile(r"[^a-z0-9]+")


class NotFoundError(InputError):
    """A scenario id the server does not know."""


@dataclass(frozen=True)
class Entry:
    id: str
    scenario: Scenario
    label: str  # what the page shows: the file name (or the upload's name)
    origin: str  # "file" (named at start-up) or "upload"


def model_is_path(name: str) -> bool:
    """A model value that names a file (read by the capacity model) rather than a preset."""
    return name.endswith(".json") or "/" in name or "\\" in name or name.startswith(("~", "."))


def check_models(sc: Scenario, base: Scenario | None = None, *, where: str) -> None:
    """Refuse a model given as a file path, unless ``base`` (a scenario named at start-up) has it already."""
    before = {w.name: getattr(w, "model", None) for w in base.workloads} if base is not None else {}
    for w in sc.workloads:
        model = w.model if isinstance(w, (Serving, Training)) else None
        if model and model_is_path(model) and before.get(w.name) != model:
            raise InputError(f"model {quoted(model)} is a file path; the page takes preset model names only "
                             "(e.g. llama-3-8b): compare scenarios that read a config.json with 'planner compare'",
                             where=where, field=f"workloads.{w.name}.model")


def upload_label(name: str) -> str:
    """The upload's file name as given by the browser, refused when it is not a plain file name."""
    text = name.strip()
    if not text:
        return "upload.yaml"
    if len(text) > MAX_NAME_CHARS:
        raise InputError(f"file name is longer than {MAX_NAME_CHARS} characters; rename the file", field="upload")
    if "/" in text or "\\" in text or text in (".", "..") or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise InputError(f"file name {quoted(text)} is not a plain file name (it holds a path or control "
                         "characters); upload the file itself, e.g. chat.yaml", field="upload")
    return text


class ScenarioStore:
    """Scenarios by id. Thread-safe: request handlers run on a thread pool."""

    def __init__(self) -> None:
        self._files: dict[str, Entry] = {}
        self._uploads: OrderedDict[str, Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._next = 1

    def _new_id(self, stem: str) -> str:
        base = _SLUG.sub("-", stem.lower()).strip("-")[:40] or "scenario"
        cand, n = base, 2
        while cand in self._files or cand in self._uploads:
            cand, n = f"{base}-{n}", n + 1
        return cand

    def add_file(self, path: str | Path) -> Entry:
        """A scenario named at start-up (raises the scenario's own one-line InputError when it is not valid)."""
        sc = load_scenario(path)
        with self._lock:
            entry = Entry(self._new_id(Path(path).stem), sc, Path(path).name, "file")
            self._files[entry.id] = entry
        return entry

    def add_upload(self, data: bytes, name: str) -> Entry:
        """An uploaded scenario, checked like a file; kept in memory only."""
        label = upload_label(name)
        if len(data) > MAX_UPLOAD_BYTES:
            raise InputError(f"is larger than {MAX_UPLOAD_BYTES // 1024} KiB, too big for a scenario; check that "
                             "this is the right file", where=label)
        with tempfile.TemporaryDirectory(prefix="planner-upload-") as tmp:  # parsed by the scenario reader as is
            path = os.path.join(tmp, "upload.yaml")
            with open(path, "wb") as fh:
                fh.write(data)
            try:
                sc = load_scenario(path)
            except InputError as exc:
                where = label if exc.where in (path, None) else exc.where
                raise InputError(exc.message, where=where, field=exc.field) from None
        sc = sc.model_copy(update={"source_path": label})
        check_models(sc, where=label)
        with self._lock:
            stem = Path(label).stem
            entry = Entry(self._new_id(f"upload-{self._next}-{stem}"), sc, label, "upload")
            self._next += 1
            self._uploads[entry.id] = entry
            while len(self._uploads) > MAX_UPLOADS:
                self._uploads.popitem(last=False)
        return entry

    def get(self, sid: str) -> Entry:
        with self._lock:
            entry = self._files.get(sid) or self._uploads.get(sid)
        if entry is None:
            raise NotFoundError(f"no scenario {quoted(sid)} on this server; pick one from the list or upload it again",
                                field="scenario")
        return entry

    def entries(self) -> list[Entry]:
        with self._lock:
            return [*self._files.values(), *self._uploads.values()]

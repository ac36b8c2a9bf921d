"""Report files: the format from the suffix, written whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from planner.errors import InputError

if TYPE_CHECKING:
    from planner.report.build import Report

SUFFIXES = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown", ".json": "json"}
FORMATS = ("html", "markdown", "json")


def format_for(path: str | None, fmt: str | None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise InputError(f"unknown format {fmt!r}; use html, markdown or json", field="--format")
        return fmt
    if path is None:
        raise InputError("give --out FILE (.html, .md or .json) or --format json for JSON on standard output",
                         field="--out")
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"cannot tell the format from {Path(path).name!r}; name it .html, .md or .json, or give "
                         "--format", field="--out")
    return SUFFIXES[suffix]


def render(report: Report, fmt: str) -> str:
    if fmt == "html":
        return report.to_html()
    if fmt == "markdown":
        return report.to_markdown()
    return report.to_json() + "\n"


def write(report: Report, path: str, fmt: str | None = None) -> str:
    """Render first, then write to a temporary file beside ``path`` and rename it into place."""
    kind = format_for(path, fmt)
    text = render(report, kind)
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"folder {str(folder)!r} does not exist; create it or write elsewhere", field="--out")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as an ordinary new file (mkstemp makes it private)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return kind

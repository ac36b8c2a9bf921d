"""bench/RESULTS.md: one ``## `` section per benchmark, replaced in place when it is re-recorded."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(text: str, path: Path = RESULTS) -> None:
    """Put ``text`` (starting with its ``## Title`` line) in ``path``: in place of the section with that title (up to
    the next ``## `` heading), else at the end."""
    title = text.split("\n", 1)[0]
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n\n"
    body = text.rstrip("\n") + "\n"
    start = ("\n" + old).find("\n" + title + "\n")  # where the title line starts in ``old``, or -1
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + body
    else:
        end = old.find("\n## ", start + len(title))
        new = old[:start] + body + ("" if end < 0 else "\n" + old[end + 1:])
    path.write_text(new, encoding="utf-8")


def read_section(title: str, path: Path = RESULTS) -> str | None:
    """The section of ``path`` whose heading line is ``title`` (``## Title``), as ``write_section`` would replace it:
    from that line up to the next ``## `` heading; None when there is no such section."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    start = ("\n" + old).find("\n" + title + "\n")
    if start < 0:
        return None
    end = old.find("\n## ", start + len(title))
    return old[start:] if end < 0 else old[start:end + 1]

"""One error root for everything the user can get wrong.

This module sits at the bottom of the package graph (it imports nothing from ``planner`` or the rest of
``pricing``), so both the pricing layer and the planner above it raise the same classes;
``planner.errors`` re-exports them.

The library raises; it never prints or exits. The CLI catches :class:`PlannerError` once and prints
``Error: <message>`` on stderr with :attr:`PlannerError.exit_code` (2 for bad input). The message is
always one line: control characters in names taken from input files are shown escaped.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from difflib import get_close_matches

# line and paragraph separators that terminals and log viewers break lines on, besides the C0/C1 controls
_BREAKERS = {"\u2028", "\u2029", "\x85"}


def one_line(text: str) -> str:
    """``text`` with every control character and line separator written as an escape (``\\n``, ``\\x1b``)."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch in _BREAKERS or unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def quoted(name: object) -> str:
    """A name from an input file as it is shown in messages: in quotes, control characters escaped."""
    return repr(str(name))


class PlannerError(Exception):
    """A problem the user can fix; ``str(err)`` is the one-line message shown to them."""

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None, field: str | None = None) -> None:
        self.message = message
        self.where = where
        self.field = field
        super().__init__(self.format())

    def format(self) -> str:
        parts = [p for p in (self.where, self.field) if p]
        return one_line(": ".join([*parts, self.message]))


class InputError(PlannerError):
    """Bad input: a scenario, a flag value, a file, an environment variable."""


class UnknownNameError(InputError):
    """A name (model, accelerator, region, instance type, ...) that is not known."""


class CatalogError(PlannerError):
    """A catalog snapshot is missing, damaged or cannot be written."""


class SourceError(PlannerError):
    """A price source (cloud API, file import) failed."""

    exit_code = 1


def suggest(name: str, choices: Iterable[str], *, what: str, limit: int = 12) -> str:
    """A message for an unknown ``name``: 'did you mean X?' plus (some of) the valid choices.

    ``unknown region 'us-central'; did you mean 'us-central1'? Valid: ...`` or, with nothing close,
    ``unknown catalog 'nope'. Valid: embedded, ...``.
    """
    choices = sorted(set(choices))
    lower = {c.lower(): c for c in choices}
    close = [lower[m] for m in get_close_matches(str(name).lower(), list(lower), n=3, cutoff=0.6)]
    msg = f"unknown {what} {quoted(name)}"
    if close:
        msg += f"; did you mean {' or '.join(repr(c) for c in close)}?"
    shown = ", ".join(choices[:limit]) + (f", ... ({len(choices)} in all)" if len(choices) > limit else "")
    if shown:
        msg += f"{'' if close else '.'} Valid: {shown}"
    return msg

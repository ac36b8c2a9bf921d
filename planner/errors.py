"""One error root for everything the user can get wrong.

The library raises; it never prints or exits. The CLI catches :class:`PlannerError` once and
prints ``Error: <message>`` on stderr with :attr:`PlannerError.exit_code` (2 for bad input).
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches


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
        return ": ".join([*parts, self.message])


class InputError(PlannerError):
    """Bad input: a scenario, a flag value, a file."""


class UnknownNameError(InputError):
    """A name (model, accelerator, region, instance type, ...) that is not known."""


class CatalogError(PlannerError):
    """A catalog snapshot is missing, damaged or cannot be written."""


class SourceError(PlannerError):
    """A price source (cloud API, file import) failed."""

    exit_code = 1


def suggest(name: str, choices: Iterable[str], *, what: str, limit: int = 12) -> str:
    """A message for an unknown ``name``: 'did you mean X?' plus (some of) the valid choices."""
    choices = sorted(set(choices))
    lower = {c.lower(): c for c in choices}
    close = [lower[m] for m in get_close_matches(name.lower(), list(lower), n=3, cutoff=0.6)]
    msg = f"unknown {what} {name!r}"
    if close:
        msg += f"; did you mean {' or '.join(repr(c) for c in close)}?"
    shown = ", ".join(choices[:limit]) + (f", ... ({len(choices)} in all)" if len(choices) > limit else "")
    if shown:
        msg += f" Valid: {shown}"
    return msg

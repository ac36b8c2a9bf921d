"""Click parameter types that refuse what click's own accept: NaN, infinities, unreadable files.

``click.FloatRange`` lets ``nan`` through (every comparison with NaN is false) and ``float`` takes ``inf``;
:class:`FiniteFloat` takes only finite numbers, in an optional range, with the rules of
:mod:`pricing.numbers` (``-0`` is 0; booleans, NaN, infinities and near-zero dust are refused).
:class:`TextFile` checks a file argument before the command runs: it exists, is a regular readable file,
no symbolic link loop, UTF-8 text rather than binary or UTF-16.
"""

from __future__ import annotations

from typing import Any

import click

from pricing.numbers import finite_float

MAX_QPS = 1e8  # the scenarios' bound: far beyond any real service, so unit mistakes are caught
MAX_MS = 3.6e6  # an hour, the scenarios' bound on latency targets


class FiniteFloat(click.FloatRange):
    """A finite float, optionally within ``[min, max]`` (``min_open``/``max_open`` exclude the ends).

    Help shows the range as ``click.FloatRange`` does; values outside it get click's message.
    """

    name = "number"

    def __init__(self, min: float | None = None, max: float | None = None, *, min_open: bool = False,
                 max_open: bool = False) -> None:
        super().__init__(min=min, max=max, min_open=min_open, max_open=max_open)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            x = finite_float(value if isinstance(value, float) else str(value))
        except ValueError as exc:
            self.fail(f"{exc}; give a number such as 2.5", param, ctx)
        return super().convert(x, param, ctx)

    def __repr__(self) -> str:
        return f"FiniteFloat({self._describe_range()})"


class TokenCount(click.ParamType):
    """Training tokens as text (``15T``, ``300B``, ``2e12``), checked to be a real count up to ``max``."""

    name = "tokens"

    def __init__(self, max: float = 1e16) -> None:
        self.max = max

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from planner.capacity.training import parse_tokens
        from planner.errors import InputError

        n = parse_tokens(str(value))  # InputError for text that is not a count
        if not 1 <= n <= self.max:
            raise InputError(f"{value!s} is {n:.3g} tokens; give 1 to {self.max:.0e} (forms like 15T, 300B, 2e12)",
                             field="--tokens")
        return str(value)


class TextFile(click.ParamType):
    """A UTF-8 text file that can be read; refusals are one-line input errors naming the file."""

    name = "file"

    def __init__(self, what: str = "file") -> None:
        self.what = what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from pricing.textfile import check_text_file

        check_text_file(value, what=self.what)
        return str(value)

"""The ``PLANNER_*`` environment variables, read and checked in one place.

=====================  =====================================================================================
``PLANNER_HOME``       folder of catalog snapshots (default: the platform's user data folder); created when
                       missing, so it must not be, or lie under, a file
``PLANNER_NOW``        pinned date ``YYYY-MM-DD`` (or an ISO date-time) for reproducible output
``PLANNER_STALE_DAYS`` days after which ``planner catalog`` calls a catalog old, a whole number >= 0
``PLANNER_DEBUG``      ``1`` shows a traceback instead of the one-line error; ``0`` or unset does not
``PLANNER_DASK_WORKERS`` workers of the local Dask cluster a what-if run starts when given none, 1 to 256
=====================  =====================================================================================

A bad value is an :class:`~pricing.errors.InputError` naming the variable (exit code 2 from the CLI).
Empty values count as unset.
"""

from __future__ import annotations

import errno
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

from pricing.errors import InputError

VARIABLES = ("PLANNER_HOME", "PLANNER_NOW", "PLANNER_STALE_DAYS", "PLANNER_DEBUG", "PLANNER_DASK_WORKERS")
MAX_DASK_WORKERS = 256
FIRST_YEAR, LAST_YEAR = 2000, 2199
MAX_STALE_DAYS = 36_500


def _get(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value is not None and value.strip() else None


def _bad(name: str, value: str, what: str, fix: str) -> InputError:
    return InputError(f"{value!r} is not {what}; {fix}, or unset the variable", field=name)


def pinned_now() -> datetime | None:
    """The moment ``PLANNER_NOW`` pins (UTC), or None when it is unset."""
    raw = _get("PLANNER_NOW")
    if raw is None:
        return None
    try:
        when = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise _bad("PLANNER_NOW", raw, "a date", "give YYYY-MM-DD such as 2026-12-02") from None
    if not FIRST_YEAR <= when.year <= LAST_YEAR:
        raise _bad("PLANNER_NOW", raw, f"a date from {FIRST_YEAR} to {LAST_YEAR}", "give YYYY-MM-DD")
    return when.replace(tzinfo=UTC)


def home() -> Path | None:
    """The folder ``PLANNER_HOME`` names, or None when it is unset; refused when it cannot be a folder."""
    raw = _get("PLANNER_HOME")
    if raw is None:
        return None
    path = Path(raw)
    for at in (path, *path.parents):
        try:
            st = at.stat()
        except FileNotFoundError:
            continue
        except OSError as exc:
            reason = "a symbolic link loop" if exc.errno == errno.ELOOP else (exc.strerror or type(exc).__name__)
            raise InputError(f"{raw!r} cannot be used ({reason}); point it at a folder", field="PLANNER_HOME") from None
        if not stat.S_ISDIR(st.st_mode):
            what = "is a file" if at == path else f"lies under the file {str(at)!r}"
            raise InputError(f"{raw!r} {what}, not a folder; point it at a folder (created when missing)",
                             field="PLANNER_HOME")
        break
    return path


def stale_days(default: int) -> int:
    """``PLANNER_STALE_DAYS`` as a whole number of days, or ``default`` when it is unset."""
    raw = _get("PLANNER_STALE_DAYS")
    if raw is None:
        return default
    try:
        days = int(raw.strip())
    except ValueError:
        raise _bad("PLANNER_STALE_DAYS", raw, "a whole number of days", f"give 0 to {MAX_STALE_DAYS}") from None
    if not 0 <= days <= MAX_STALE_DAYS:
        raise _bad("PLANNER_STALE_DAYS", raw, f"from 0 to {MAX_STALE_DAYS} days", f"give 0 to {MAX_STALE_DAYS}")
    return days


def debug() -> bool:
    """True when ``PLANNER_DEBUG`` is ``1``."""
    raw = _get("PLANNER_DEBUG")
    if raw is None or raw.strip() == "0":
        return False
    if raw.strip() == "1":
        return True
    raise _bad("PLANNER_DEBUG", raw, "1 or 0", "give 1 to show tracebacks or 0 not to")


def check_environment() -> None:
    """Check every ``PLANNER_*`` variable the program reads; raise the first problem as one line."""
    debug()
    home()
    pinned_now()
    stale_days(0)


def dask_workers(default: int) -> int:
    """``PLANNER_DASK_WORKERS`` as a whole number from 1 to 256, or ``default`` when it is unset."""
    raw = _get("PLANNER_DASK_WORKERS")
    if raw is None:
        return default
    try:
        n = int(raw.strip())
    except ValueError:
        n = 0
    if not 1 <= n <= MAX_DASK_WORKERS:
        raise _bad("PLANNER_DASK_WORKERS", raw, f"a whole number from 1 to {MAX_DASK_WORKERS}", "give e.g. 2")
    return n

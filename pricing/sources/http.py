"""Retry with backoff for price-source calls, built on tenacity.

Every network call a source makes goes through :func:`call_with_retries` (one call) or
:func:`resumable_pages` (an SDK pager, resumed from the last page token after a failure). The
call itself decides what is worth retrying by raising :class:`Transient` (throttling, 5xx,
connection resets); anything else fails at once. When the attempts run out, or the failure is not
transient, the caller sees one :class:`~planner.errors.SourceError` with a one-line message:
what failed, where, and what to try.

Waits are exponential with jitter (``RetryPolicy.initial_wait_s`` doubling up to
``max_wait_s``); a server's ``Retry-After`` wins when given. ``RetryPolicy.sleep`` is injectable,
so tests run with no real waiting and can check the waits asked for.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from pricing.errors import SourceError

log = logging.getLogger("pricing.sources")
T = TypeVar("T")
P = TypeVar("P")


class Transient(Exception):
    """A failure worth retrying; ``retry_after_s`` is the server's hint, if it gave one."""

    def __init__(self, reason: str, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s


class Unreachable(Transient):
    """The API could not be reached at all (DNS failure, connection refused, no route): retried briefly,
    since waiting minutes does not bring a network back; then reported as unreachable, not as throttling."""


UNREACHABLE_ATTEMPTS = 2  # the first call and one retry


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry: ``attempts`` in all (first call included); waits of
    ``initial_wait_s`` x 2^n capped at ``max_wait_s``, plus up to ``jitter_s`` of random jitter; a
    server's Retry-After is honoured up to ``max_retry_after_s``. ``sleep`` does the waiting."""

    attempts: int = 6
    initial_wait_s: float = 1.0
    max_wait_s: float = 60.0
    jitter_s: float = 1.0
    max_retry_after_s: float = 300.0
    sleep: Callable[[float], None] = time.sleep

    def wait_strategy(self) -> Callable[[Any], float]:
        from tenacity import wait_exponential, wait_random

        backoff = wait_exponential(multiplier=self.initial_wait_s, max=self.max_wait_s) + wait_random(
            0, self.jitter_s
        )

        def wait(state: Any) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, Transient) and exc.retry_after_s is not None:
                return min(max(exc.retry_after_s, 0.0), self.max_retry_after_s)
            return float(backoff(state))

        return wait


NO_WAIT = RetryPolicy(initial_wait_s=0, max_wait_s=0, jitter_s=0, sleep=lambda _s: None)
"""Same number of attempts, no waiting (for tests and for callers that throttle themselves)."""


def call_with_retries(fn: Callable[[], T], *, policy: RetryPolicy, what: str, hint: str) -> T:
    """Run ``fn``; retry it while it raises :class:`Transient`; give up with a :class:`SourceError`.

    ``what`` says what was being done and where ("AWS get_products (AmazonEC2, us-east-1)");
    ``hint`` what to try ("wait a few minutes and run the refresh again").
    """
    from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, stop_any

    def before_sleep(state: Any) -> None:
        exc = state.outcome.exception()
        log.info("%s: %s; retry %d of %d", what, exc, state.attempt_number, policy.attempts - 1)

    from tenacity.stop import stop_base

    class UnreachableLongEnough(stop_base):
        """Stop once the API could not be reached on UNREACHABLE_ATTEMPTS attempts in a row."""

        def __init__(self) -> None:
            self.streak = 0

        def __call__(self, state: Any) -> bool:
            exc = state.outcome.exception() if state.outcome else None
            self.streak = self.streak + 1 if isinstance(exc, Unreachable) else 0
            return self.streak >= UNREACHABLE_ATTEMPTS

    unreachable_long_enough = UnreachableLongEnough()

    retrying = Retrying(
        stop=stop_any(stop_after_attempt(policy.attempts), unreachable_long_enough),
        wait=policy.wait_strategy(),
        retry=retry_if_exception_type(Transient),
        sleep=policy.sleep,
        before_sleep=before_sleep,
        reraise=False,
    )
    try:
        return retrying(fn)
    except RetryError as err:
        last = err.last_attempt.exception()
        tries = err.last_attempt.attempt_number
        if isinstance(last, Unreachable):
            raise SourceError(f"{what}: cannot reach the API ({last}) after {tries} attempts; check the network "
                              "connection, proxy or firewall, then run the refresh again") from None
        raise SourceError(f"{what} failed after {tries} attempts ({last}); {hint}") from None


_END = object()


def resumable_pages(
    open_pages: Callable[[str | None], Iterable[P]],
    next_token: Callable[[P], str | None],
    *,
    classify: Callable[[Exception], Exception],
    policy: RetryPolicy,
    what: str,
    hint: str,
) -> Iterator[P]:
    """Pages of an SDK pager, each fetch retried; after a failure the pager restarts at the last token.

    ``open_pages(token)`` starts the SDK's pager at ``token`` (None = the first page);
    ``next_token(page)`` reads the token of the page after ``page``. ``classify`` turns an SDK
    exception into :class:`Transient` (retry), :class:`SourceError` (give up) or returns it
    unchanged (a bug: propagate).
    """
    token: str | None = None
    pages: Iterator[P] | None = None

    def step() -> Any:
        nonlocal pages
        try:
            if pages is None:
                pages = iter(open_pages(token))
            return next(pages)
        except StopIteration:
            return _END
        except Exception as exc:  # noqa: BLE001 - classify() sorts SDK failures from bugs, which re-raise
            pages = None
            err = classify(exc)
            if isinstance(err, SourceError) and not err.message.startswith(what):
                err = SourceError(f"{what}: {err.message}")
            raise err from None

    while True:
        page = call_with_retries(step, policy=policy, what=what, hint=hint)
        if page is _END:
            return
        yield page
        token = next_token(page) or None
        if token is None:
            return


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    value = headers.get("Retry-After") or headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def get_json(session: Any, url: str, params: Mapping[str, str] | None, *, timeout_s: float, what: str) -> Any:
    """One GET with ``requests``; 429/5xx/connection failures raise :class:`Transient`.

    Other HTTP errors and bodies that are not JSON raise :class:`SourceError` at once. Numbers
    with a fraction are parsed as :class:`~decimal.Decimal`, so prices keep their digits.
    """
    import requests

    try:
        resp = session.get(url, params=params, timeout=timeout_s)
    except (requests.ConnectTimeout, requests.ReadTimeout) as exc:
        raise Transient(f"timed out: {type(exc).__name__}") from None
    except requests.ConnectionError as exc:
        raise Unreachable(f"connection failed: {type(exc).__name__}") from None
    status = resp.status_code
    if status == 429 or status >= 500:
        raise Transient(f"HTTP {status} {resp.reason or ''}".strip(), retry_after_seconds(resp.headers))
    if status >= 400:
        raise SourceError(f"{what}: HTTP {status} {resp.reason or ''}; check the region and filter values")
    try:
        return resp.json(parse_float=Decimal)
    except ValueError:
        raise SourceError(
            f"{what}: the response is not valid JSON (truncated or damaged page); run the refresh again"
        ) from None

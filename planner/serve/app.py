"""The what-if page as a Starlette app: one HTML page, its script and style (served from the package, no CDN),
and a small JSON API over :class:`planner.serve.engine.Engine`.

Safe by default: the server binds to 127.0.0.1 (``planner serve`` prints a warning for any other address),
answers only requests addressed to a loopback name (a page elsewhere cannot reach it by DNS rebinding), takes
JSON only as ``application/json`` and uploads only with the page's own header (so a form on another site cannot
post to it), and no request names a file: scenarios are named by id, static files are kept in memory.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from planner.errors import PlannerError, one_line
from planner.serve.engine import Engine
from planner.serve.store import MAX_UPLOAD_BYTES, NotFoundError

log = logging.getLogger("planner.serve")

MAX_JSON_BYTES = 256 * 1024  # a request's changes; far above what the page sends
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]

_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
_HEADERS = [
    (b"content-security-policy", (b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                 b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


class _SecurityHeaders:
    """Adds the headers above to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def _static() -> dict[str, tuple[bytes, str]]:
    """The page's files, read once from the package (never from a path a request names)."""
    out = {}
    for f in resources.files("planner.serve").joinpath("static").iterdir():
        name = f.name
        ext = name[name.rfind("."):]
        if ext in _TYPES:
            out[name] = (f.read_bytes(), _TYPES[ext])
    return out


def error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": one_line(message)}, status_code=status)


class _TooLarge(Exception):
    pass


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused past ``limit`` bytes without reading the rest."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def _json(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise PlannerError("send the request as application/json")
    try:
        data = json.loads(await _body(request, MAX_JSON_BYTES))
    except (ValueError, UnicodeDecodeError):
        raise PlannerError("the request is not valid JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("scenario"), str):
        raise PlannerError("the request needs a scenario id")
    return data


def _download(name: str, text: str, media: str) -> Response:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:100] or "download"
    return Response(text.encode("utf-8"), media_type=media,
                    headers={"content-disposition": f'attachment; filename="{safe}"'})


Handler = Callable[[Request], Awaitable[Response]]


def _guard(fn: Handler) -> Handler:
    """Bad input as a one-line JSON error; the server keeps running whatever a request holds."""

    async def run(request: Request) -> Response:
        try:
            return await fn(request)
        except NotFoundError as exc:
            return error(exc.format(), 404)
        except _TooLarge:
            return error(f"the upload is larger than {MAX_UPLOAD_BYTES // 1024} KiB, too big for a scenario; "
                         "check that this is the right file", 413)
        except PlannerError as exc:
            return error(exc.format())
        except ArithmeticError as exc:
            return error(f"numbers out of range ({type(exc).__name__}); check the scenario's rates and sizes for "
                         "unit mistakes")
        except Exception as exc:  # a bug: logged with its traceback, one line to the page
            log.exception("request failed")
            return error(f"internal error ({type(exc).__name__}); the server is still running", 500)

    return run


def create_app(engine: Engine, *, allowed_hosts: Sequence[str] | None = None) -> Starlette:
    """The what-if app over ``engine``. ``allowed_hosts``: host names requests may be addressed to
    (default: the loopback names; ``["*"]`` for any)."""
    from starlette.concurrency import run_in_threadpool

    static = _static()

    async def page(request: Request) -> Response:
        body, media = static["index.html"]
        return Response(body, media_type=media)

    async def asset(request: Request) -> Response:
        hit = static.get(request.path_params["name"])
        if hit is None or request.path_params["name"] == "index.html":
            return error("no such file", 404)
        return Response(hit[0], media_type=hit[1])

    async def favicon(request: Request) -> Response:
        body, media = static["icon.svg"]
        return Response(body, media_type=media)

    @_guard
    async def meta(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(engine.meta))

    @_guard
    async def scenario(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(engine.view, request.path_params["sid"]))

    @_guard
    async def compare(request: Request) -> Response:
        data = await _json(request)
        return JSONResponse(await run_in_threadpool(engine.evaluate, data["scenario"], data.get("overrides")))

    @_guard
    async def scale(request: Request) -> Response:
        data = await _json(request)
        wl = data.get("workload")
        return JSONResponse(await run_in_threadpool(engine.scale, data["scenario"], data.get("overrides"),
                                                    wl if isinstance(wl, str) else None))

    @_guard
    async def band(request: Request) -> Response:
        data = await _json(request)
        return JSONResponse(await run_in_threadpool(engine.band, data["scenario"], data.get("overrides")))

    @_guard
    async def upload(request: Request) -> Response:
        name = request.headers.get("x-filename")
        if name is None:  # only the page's script sends it (a form on another site cannot)
            return error("send the scenario file from the page (the X-Filename header is missing)")
        from urllib.parse import unquote

        data = await _body(request, MAX_UPLOAD_BYTES)
        entry = await run_in_threadpool(engine.store.add_upload, data, unquote(name))
        return JSONResponse(await run_in_threadpool(engine.view, entry.id))

    @_guard
    async def download_scenario(request: Request) -> Response:
        data = await _json(request)
        name, text = await run_in_threadpool(engine.scenario_yaml, data["scenario"], data.get("overrides"))
        return _download(name, text, "application/yaml; charset=utf-8")

    @_guard
    async def download_report(request: Request) -> Response:
        data = await _json(request)
        if data.get("format", "md") == "html":
            name, text = await run_in_threadpool(engine.report_html, data["scenario"], data.get("overrides"))
            return _download(name, text, "text/html; charset=utf-8")
        if data.get("format", "md") != "md":
            raise PlannerError("the report format is md or html")
        name, text = await run_in_threadpool(engine.report_markdown, data["scenario"], data.get("overrides"))
        return _download(name, text, "text/markdown; charset=utf-8")

    routes = [
        Route("/", page),
        Route("/favicon.ico", favicon),
        Route("/static/{name}", asset),
        Route("/api/meta", meta),
        Route("/api/scenarios/{sid}", scenario),
        Route("/api/compare", compare, methods=["POST"]),
        Route("/api/scale", scale, methods=["POST"]),
        Route("/api/band", band, methods=["POST"]),
        Route("/api/upload", upload, methods=["POST"]),
        Route("/api/download/scenario", download_scenario, methods=["POST"]),
        Route("/api/download/report", download_report, methods=["POST"]),
    ]
    hosts = list(allowed_hosts) if allowed_hosts is not None else LOOPBACK_HOSTS
    return Starlette(routes=routes, middleware=[Middleware(_SecurityHeaders),
                                                Middleware(TrustedHostMiddleware, allowed_hosts=hosts)])

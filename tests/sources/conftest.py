"""Fakes for the price sources: each cloud mocked at one seam, with its real wire format.

* Azure: ``responses`` intercepts ``requests`` and serves ``tests/fixtures/azure/retail_items.json``
  filtered by the request's OData ``$filter``, in pages linked by ``NextPageLink``.
* AWS: ``botocore.stub.Stubber`` on real clients (see test_aws.py).
* GCP: a local ``http.server`` serving Cloud Catalog REST JSON (fixture ``gcp_server``).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
AZURE_URL = "https://prices.azure.com/api/retail/prices"


def load_json(*parts: str) -> Any:
    return json.loads(FIXTURES.joinpath(*parts).read_text(encoding="utf-8"))


# -- Azure ---------------------------------------------------------------------------------------
_CLAUSE = re.compile(r"^(\w+) eq '((?:[^']|'')*)'$")
FIELD_OF = {"priceType": "type"}  # the filter name of an item field, where they differ


def _split_top(expr: str, word: str) -> list[str]:
    """Split ``expr`` on `` and ``/`` or `` outside parentheses."""
    parts, depth, start, sep = [], 0, 0, f" {word} "
    i = 0
    while i < len(expr):
        ch = expr[i]
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and expr.startswith(sep, i):
            parts.append(expr[start:i])
            start = i = i + len(sep)
            continue
        i += 1
    parts.append(expr[start:])
    return [p.strip() for p in parts]


def odata_match(expr: str, item: dict) -> bool:
    """Evaluate the OData subset the adapter sends: ``f eq 'v'`` joined by and/or, with parentheses."""
    expr = expr.strip()
    ors = _split_top(expr, "or")
    if len(ors) > 1:
        return any(odata_match(e, item) for e in ors)
    ands = _split_top(expr, "and")
    if len(ands) > 1:
        return all(odata_match(e, item) for e in ands)
    if expr.startswith("(") and expr.endswith(")"):
        return odata_match(expr[1:-1], item)
    m = _CLAUSE.match(expr)
    assert m, f"fake Azure API cannot parse {expr!r}"
    return str(item.get(FIELD_OF.get(m[1], m[1]))) == m[2].replace("''", "'")


@dataclass
class AzureFake:
    """A fake Retail Prices API. ``faults`` are served first, one per request: (status, headers, body)."""

    items: list[dict]
    page_size: int = 2
    faults: list[tuple[int, dict, Any]] = field(default_factory=list)
    requests: list[dict[str, str]] = field(default_factory=list)
    tamper: Callable[[dict], Any] | None = None  # rewrite a page body (damaged pages)

    def __call__(self, request: Any) -> tuple[int, dict, str]:
        q = {k: v[0] for k, v in parse_qs(urlparse(request.url).query).items()}
        self.requests.append(q)
        if self.faults:
            status, headers, body = self.faults.pop(0)
            if isinstance(body, Exception):
                raise body
            return status, headers, body if isinstance(body, str) else json.dumps(body)
        assert q.get("api-version") == "2023-01-01-preview" and q.get("currencyCode") == "'USD'", q
        matched = [i for i in self.items if odata_match(q["$filter"], i)]
        skip = int(q.get("$skip", 0))
        page = matched[skip : skip + self.page_size]
        nxt = None
        if skip + self.page_size < len(matched):
            nq = {k: v for k, v in q.items() if k != "$skip"} | {"$skip": str(skip + self.page_size)}
            nxt = "https://prices.azure.com:443/api/retail/prices?" + urlencode(nq)
        body: Any = {
            "BillingCurrency": "USD",
            "CustomerEntityId": "Default",
            "CustomerEntityType": "Retail",
            "Items": page,
            "NextPageLink": nxt,
            "Count": len(page),
        }
        if self.tamper:
            body = self.tamper(body)
        return 200, {"Content-Type": "application/json"}, body if isinstance(body, str) else json.dumps(body)


@pytest.fixture
def azure_api() -> Iterator[AzureFake]:
    import responses

    fake = AzureFake(load_json("azure", "retail_items.json"))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rs:
        rs.add_callback(responses.GET, AZURE_URL, callback=fake)
        rs.add_callback(responses.GET, "https://prices.azure.com:443/api/retail/prices", callback=fake)
        yield fake


# -- GCP -----------------------------------------------------------------------------------------
@dataclass
class GcpFake:
    """A fake Cloud Catalog REST API: ``services`` and per-service SKU pages (``nextPageToken``)."""

    services: list[dict]
    skus: dict[str, list[dict]]  # service id -> skus
    page_size: int = 3
    faults: list[tuple[int, Any]] = field(default_factory=list)
    fail_at: dict[int, tuple[int, Any]] = field(default_factory=dict)  # request number (0-based) -> reply
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    tamper: Callable[[str, dict], Any] | None = None

    def respond(self, path: str, q: dict[str, str]) -> tuple[int, Any]:
        self.seen.append((path, q))
        if len(self.seen) - 1 in self.fail_at:
            return self.fail_at[len(self.seen) - 1]
        if self.faults:
            return self.faults.pop(0)
        if path == "/v1/services":
            return 200, {"services": self.services}
        m = re.fullmatch(r"/v1/services/([^/]+)/skus", path)
        if not m or m[1] not in self.skus:
            return 404, {"error": {"code": 404, "message": "service not found", "status": "NOT_FOUND"}}
        start = int(q.get("pageToken", "0") or 0)
        rows = self.skus[m[1]][start : start + self.page_size]
        body: dict[str, Any] = {"skus": rows}
        if start + self.page_size < len(self.skus[m[1]]):
            body["nextPageToken"] = str(start + self.page_size)
        if self.tamper:
            return 200, self.tamper(path, body)
        return 200, body


@pytest.fixture
def gcp_server() -> Iterator[tuple[GcpFake, str]]:
    """(fake, endpoint): a threaded local HTTP server; point the client's api_endpoint at it."""
    fake = GcpFake(load_json("gcp", "services.json")["services"], load_json("gcp", "skus.json"))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            u = urlparse(self.path)
            status, body = fake.respond(u.path, {k: v[0] for k, v in parse_qs(u.query).items()})
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=5)

"""A fault-injecting HTTP proxy on loopback, in front of the real server.

Each request is passed through unless a planned fault matches its method and path (the first
planned fault for that route is used up by the first matching request):

- `Drop()`: forward to the server, read its whole answer, then close the connection without
  sending a byte back: the server did the work, the client never hears of it.
- `Respond(status, headers, body)`: answer without forwarding (503, 429 with Retry-After, a
  proxy's 502 page...).
- `Stall(release)`: hold the request without answering until `release` is set, then close
  (the client times out first).

Every request is recorded with its headers, the fault applied and the server's answer.
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length", "te"}


@dataclass(frozen=True)
class Drop:
    pass


@dataclass(frozen=True)
class Respond:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class Stall:
    release: threading.Event


Fault = Drop | Respond | Stall


@dataclass
class Seen:
    """One request the proxy received."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    fault: Fault | None
    upstream_status: int | None = None
    upstream_headers: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return urlsplit(self.target).path


class FaultProxy:
    """Run with `with FaultProxy(upstream) as proxy:`; point the client at `proxy.url`."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.seen: list[Seen] = []
        self._faults: dict[tuple[str, str], deque[Fault]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=30)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def plan(self, method: str, path: str, *faults: Fault) -> None:
        """Apply `faults`, one per request, to the next requests of `method path`."""
        with self._lock:
            self._faults[(method.upper(), path)].extend(faults)

    def requests(self, method: str, path: str) -> list[Seen]:
        """The recorded requests of `method path`, in arrival order."""
        return [s for s in self.seen if s.method == method.upper() and s.path == path]

    def _next_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get((method, path))
            return queue.popleft() if queue else None

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._http.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return  # quiet

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                fault = proxy._next_fault(self.command, urlsplit(self.path).path)
                seen = Seen(self.command, self.path, headers, body, fault)
                with proxy._lock:
                    proxy.seen.append(seen)
                self.close_connection = True
                if isinstance(fault, Respond):
                    self._write(fault.status, fault.headers, fault.body)
                    return
                if isinstance(fault, Stall):
                    fault.release.wait(timeout=30)
                    return
                upstream = proxy._forward(self.command, self.path, headers, body)
                seen.upstream_status = upstream.status_code
                seen.upstream_headers = {k.lower(): v for k, v in upstream.headers.items()}
                if isinstance(fault, Drop):
                    return  # the server answered; the client hears nothing
                self._write(upstream.status_code, dict(upstream.headers), upstream.content)

            def _write(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        return Handler

    def _forward(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> httpx.Response:
        url = httpx.URL(self.upstream).copy_with(raw_path=target.encode())
        # Without accept-encoding the server's bytes come back as they are, never re-encoded.
        skip = HOP_BY_HOP | {"accept-encoding"}
        forwarded = {k: v for k, v in headers.items() if k not in skip}
        return self._http.request(method, url, headers=forwarded, content=body)

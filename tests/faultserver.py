"""A local server that answers like a platform on a bad day: hangs, truncated bodies, garbage, the wrong
kind of answer, redirect loops, 5xx bursts and 5xx forever, 429s, and answers too big to read.

``FaultServer(app, faults)`` answers ``app(path) -> (status, body, headers)`` (``path`` with its query)
unless a fault is planned for the request: ``faults`` maps a substring of the path to a fault name from
``FAULTS``. Everything runs on 127.0.0.1 and every fault ends by itself (a hang lasts ``HANG_SECONDS``).
"""

from __future__ import annotations

import random
import time

from crawler.sample_site import LocalServer

HANG_SECONDS = 4.0
TOO_BIG_BYTES = 11 * 2**20  # past every download cap (5 MB for pages, 10 MB for JSON)

FAULTS = ("hang", "truncated", "too_big", "json_for_html", "html_for_json", "empty", "binary", "garbage",
          "redirect_loop", "5xx_burst", "5xx_forever", "429")


class Truncated(bytes):
    """A body sent with a Content-Length larger than itself, then the connection is closed."""


class FaultServer(LocalServer):
    def __init__(self, app, faults: dict[str, str] | None = None):
        super().__init__()
        self.app = app
        self.faults = dict(faults or {})
        self.seen: dict[str, int] = {}  # fault key → requests answered with it so far
        unknown = set(self.faults.values()) - set(FAULTS)
        assert not unknown, f"unknown faults {unknown}"
        # A client that hangs up mid-answer (a download over its size limit, a timeout) is the point here.
        self.server.handle_error = lambda request, client_address: None

    def answer(self, path: str):
        key = next((k for k in self.faults if k in path), None)
        if key is None:
            return self.app(path)
        with self._lock:
            self.seen[key] = self.seen.get(key, 0) + 1
            times = self.seen[key]
        fault = self.faults[key]
        if fault == "hang":
            time.sleep(HANG_SECONDS)
            return self.app(path)
        if fault == "truncated":
            status, body, headers = self.app(path)
            return status, Truncated(_bytes(body)[: len(_bytes(body)) // 2]), headers
        if fault == "too_big":
            return 200, b" " * TOO_BIG_BYTES, {"Content-Type": "text/html; charset=utf-8"}
        if fault == "json_for_html":
            return 200, {"ok": True, "result": [1, 2, 3]}, {}
        if fault == "html_for_json":
            return 200, "<!DOCTYPE html><html><body><h1>Maintenance</h1></body></html>", \
                {"Content-Type": "text/html; charset=utf-8"}
        if fault == "empty":
            return 200, b"", {}
        if fault == "binary":
            return 200, random.Random(1).randbytes(4096), {"Content-Type": "application/octet-stream"}
        if fault == "garbage":
            junk = random.Random(2).choices("<>/&;\"'=abc \x00\u202e\ud7ff{}[]", k=20_000)
            return 200, "".join(junk), {}
        if fault == "redirect_loop":
            return 302, b"", {"Location": path}
        if fault == "5xx_burst" and times <= 2:
            return 503, "busy", {}
        if fault == "5xx_forever":
            return 503, "busy", {}
        if fault == "429" and times <= 1:
            return 429, "slow down", {"Retry-After": "1"}
        return self.app(path)

    def send(self, request, status, body, headers=None):
        if not isinstance(body, Truncated):
            return super().send(request, status, body, headers)
        request.send_response(status)
        request.send_header("Content-Type", (headers or {}).get("Content-Type", self.text_type))
        request.send_header("Content-Length", str(len(body) * 2 + 100))
        request.end_headers()
        request.wfile.write(body)
        request.wfile.flush()
        request.close_connection = True


def _bytes(body) -> bytes:
    import json

    if isinstance(body, (dict, list)):
        return json.dumps(body).encode()
    return body.encode() if isinstance(body, str) else bytes(body)

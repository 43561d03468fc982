"""A tiny threaded HTTP server on 127.0.0.1 for crawl tests of API platforms (VK, YouTube, blogs).

``ApiServer(route)`` calls ``route(path, params)`` for every GET, where ``params`` is the query as a dict
of single values, and sends back what it returns: ``(status, body)`` or ``(status, body, headers)``;
``body`` may be a dict/list (sent as JSON), ``str`` or ``bytes``. Every request is logged as
``(time, path, params)`` in ``server.requests``.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


class ApiServer:
    def __init__(self, route):
        self.route = route
        self.requests: list[tuple[float, str, dict]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                parts = urlsplit(self.path)
                params = dict(parse_qsl(parts.query, keep_blank_values=True))
                server.requests.append((time.monotonic(), parts.path, params))
                answer = server.route(parts.path, params)
                status, body, headers = answer if len(answer) == 3 else (*answer, {})
                content_type = "text/plain; charset=utf-8"
                if isinstance(body, (dict, list)):
                    body, content_type = json.dumps(body, ensure_ascii=False), "application/json; charset=utf-8"
                if isinstance(body, str):
                    body = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", headers.pop("Content-Type", content_type))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ApiServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def calls(self, path: str) -> list[dict]:
        return [params for _, p, params in self.requests if p == path]

"""A tiny threaded HTTP server on 127.0.0.1 for crawl tests of API platforms (VK, YouTube, blogs).

``ApiServer(route)`` calls ``route(path, params)`` for every GET, where ``params`` is the query as a dict
of single values, and sends back what it returns: ``(status, body)`` or ``(status, body, headers)``;
``body`` may be a dict/list (sent as JSON), ``str`` or ``bytes``. Every request is logged as
``(time, path, params)`` in ``server.requests``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from crawler.sample_site import LocalServer


class ApiServer(LocalServer):
    text_type = "text/plain; charset=utf-8"

    def __init__(self, route):
        super().__init__()
        self.route = route

    def answer(self, path: str):
        parts = urlsplit(path)
        answer = self.route(parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)))
        return answer if len(answer) == 3 else (*answer, {})

    @property
    def requests(self) -> list[tuple[float, str, dict]]:
        """``(time, path, params)`` of every request, params as a dict of single values."""
        return [(t, urlsplit(p).path, dict(parse_qsl(urlsplit(p).query, keep_blank_values=True)))
                for t, p in self.log]

    def calls(self, path: str) -> list[dict]:
        return [params for _, p, params in self.requests if p == path]

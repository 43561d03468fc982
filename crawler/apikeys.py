"""API keys and tokens are added to a request's URL only while it is being downloaded.

Spiders never put a key in a URL: they mark the request with ``meta["api_key"]`` (``"vk"``,
``"youtube"``) and ``ApiKeyMiddleware`` appends the parameter, read from the environment, just before
the download, then takes it off again as soon as the answer (or the failure) comes back. So the key is
never in a request that Scrapy pickles into the resumable job folder, never in a request or response
URL that reaches a log line, an errback, the spider or the store.

The middleware sits nearest the downloader (950, after Scrapy's own middlewares up to the HTTP cache at
900): it adds the key last on the way out and removes it first on the way back, before the retry
middleware copies a request to send it again.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from crawler.extensions import redact

#: ``meta["api_key"]`` → (query parameter, environment variable holding the secret).
KEYS = {
    "vk": ("access_token", "VK_TOKEN"),
    "youtube": ("key", "YOUTUBE_API_KEY"),
}


def secret(kind: str) -> str | None:
    """The key or token for ``kind`` from the environment, stripped; ``None`` when unset or empty."""
    _, env = KEYS[kind]
    return (os.environ.get(env) or "").strip() or None


def without_param(url: str, param: str) -> str:
    """``url`` with every ``param=…`` removed from its query string."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != param]
    return urlunsplit(parts._replace(query=urlencode(query)))


def scrub(text: str, *kinds: str) -> str:
    """``text`` with any key or token of ``kinds`` (all known kinds by default) replaced by ``***``."""
    for kind in kinds or tuple(KEYS):
        value = secret(kind)
        if value:
            text = text.replace(value, "***")
    return redact(text)


class ApiKeyMiddleware:
    """Adds the key of ``meta["api_key"]`` to the URL for the download only (see the module docstring)."""

    SAVED = "pagescout_url_without_key"

    def process_request(self, request, spider=None):
        kind = request.meta.get("api_key")
        if kind not in KEYS:
            return None
        param, _ = KEYS[kind]
        value = secret(kind)
        clean = without_param(request.url, param) if f"{param}=" in request.url else request.url
        request.meta[self.SAVED] = clean
        if value:
            sep = "&" if urlsplit(clean).query else "?"
            request._set_url(f"{clean}{sep}{urlencode({param: value})}")
        return None

    def _restore(self, request) -> str | None:
        clean = request.meta.pop(self.SAVED, None)
        if clean is not None:
            request._set_url(clean)
        return clean

    def process_response(self, request, response, spider=None):
        clean = self._restore(request)
        if clean is not None and response.url != clean:
            param, _ = KEYS[request.meta["api_key"]]
            same = response.url.startswith(clean)  # the answer to the URL asked (no redirect)
            response = response.replace(url=clean if same else without_param(response.url, param))
        return response

    def process_exception(self, request, exception, spider=None):
        self._restore(request)
        # Download errors quote the URL they failed on, key included; Scrapy logs them on giving up.
        exception.args = tuple(scrub(a) if isinstance(a, str) else a for a in exception.args)
        return None

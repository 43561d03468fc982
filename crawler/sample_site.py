"""A stand-in for t.me on 127.0.0.1: renders channel previews in Telegram's markup from a JSON spec.

``pagescout demo`` serves the bundled ``data/sample/telegram.json`` with it so the real spider and HTTP
stack run offline, and the tests serve their own specs (dead channels, 429s, slow pages) the same way.

Spec: ``{"channels": {handle: {"title", "description", "subscribers", "verified", "status"
("ok" | "private" | "gone"), "posts": [{"id", "date", "text", "views", "reactions": {emoji: n},
"forwarded_from": "channel/123" | "hidden:Name"}]}}, "page_size": 20}``.
``faults``: ``{path: [[status, retry_after or null], …]}`` answered in turn before the real page.
"""

from __future__ import annotations

import html
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


def abbreviate(n: int) -> str:
    """Telegram's rounding: 999, 1.2K, 37.2K, 1.5M."""
    for size, suffix in ((1_000_000, "M"), (1_000, "K")):
        if n >= size:
            value = f"{n / size:.1f}".rstrip("0").rstrip(".")
            return f"{value}{suffix}"
    return str(n)


def _message(handle: str, post: dict) -> str:
    forwarded = ""
    source = post.get("forwarded_from")
    if source and source.startswith("hidden:"):
        forwarded = ('<div class="tgme_widget_message_forwarded_from accent_color">Forwarded from&nbsp;'
                     f'<span class="tgme_widget_message_forwarded_from_name">{html.escape(source[7:])}</span></div>')
    elif source:
        forwarded = ('<div class="tgme_widget_message_forwarded_from accent_color">Forwarded from&nbsp;'
                     f'<a class="tgme_widget_message_forwarded_from_name" href="https://t.me/{source}">'
                     f'<span dir="auto">{html.escape(source.split("/")[0])}</span></a></div>')
    text = html.escape(post.get("text", "")).replace("\n", "<br/>")
    for link in post.get("links", []):
        text += f' <a href="{html.escape(link)}" target="_blank">{html.escape(link)}</a>'
    reactions = ""
    if post.get("reactions"):
        spans = "".join(
            f'<span class="tgme_reaction"><i class="emoji"><b>{emoji}</b></i>{abbreviate(count)}</span>'
            for emoji, count in post["reactions"].items()
        )
        reactions = f'<div class="tgme_widget_message_reactions js-message_reactions">{spans}</div>'
    return f"""
<div class="tgme_widget_message_wrap js-widget_message_wrap">
  <div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="{handle}/{post['id']}">
    <div class="tgme_widget_message_bubble">
      <div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" href="https://t.me/{handle}"><span dir="auto">{handle}</span></a></div>
      {forwarded}
      <div class="tgme_widget_message_text js-message_text" dir="auto">{text}</div>
      {reactions}
      <div class="tgme_widget_message_footer compact js-message_footer">
        <div class="tgme_widget_message_info short js-message_info">
          <span class="tgme_widget_message_views">{abbreviate(post.get('views', 0))}</span><span class="copyonly"> views</span>
          <span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/{handle}/{post['id']}"><time datetime="{post['date']}" class="time">00:00</time></a></span>
        </div>
      </div>
    </div>
  </div>
</div>"""


def render_channel(handle: str, channel: dict, before: int | None, page_size: int) -> str:
    posts = sorted(channel.get("posts", []), key=lambda p: p["id"])
    if before is not None:
        posts = [p for p in posts if p["id"] < before]
    page, older = posts[-page_size:], posts[:-page_size]
    more = prev = ""
    if older and page:
        first = page[0]["id"]
        more = (f'<div class="tgme_widget_message_centered js-messages_more_wrap"><a href="/s/{handle}?before={first}"'
                f' class="tme_messages_more js-messages_more" data-before="{first}"></a></div>')
        prev = f'<link rel="prev" href="/s/{handle}?before={first}">'
    verified = '<i class="verified-icon"></i>' if channel.get("verified") else ""
    description = html.escape(channel.get("description", "")).replace("\n", "<br/>")
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(channel['title'])} – Telegram</title>
<link rel="canonical" href="https://t.me/s/{handle}">{prev}</head>
<body class="widget_frame_base tgme_webpage">
<section class="tgme_channel_history js-message_history">{more}{''.join(_message(handle, p) for p in page)}</section>
<div class="tgme_channel_info">
  <div class="tgme_channel_info_header">
    <i class="tgme_page_photo_image bgcolor1" data-content="{html.escape(channel['title'][:1])}"><img src="https://cdn.example/{handle}.jpg"></i>
    <div class="tgme_channel_info_header_title"><span dir="auto">{html.escape(channel['title'])}</span>{verified}</div>
    <div class="tgme_channel_info_header_username"><a href="https://t.me/{handle}">@{handle}</a></div>
  </div>
  <div class="tgme_channel_info_description">{description}</div>
  <div class="tgme_channel_info_counters">
    <div class="tgme_channel_info_counter"><span class="counter_value">{abbreviate(channel.get('subscribers', 0))}</span> <span class="counter_type">subscribers</span></div>
    <div class="tgme_channel_info_counter"><span class="counter_value">{len(channel.get('posts', []))}</span> <span class="counter_type">photos</span></div>
  </div>
</div>
</body></html>"""


class LocalServer:
    """An HTTP server on 127.0.0.1 (a free port) in a background thread, for the demo, tests and benches.

    A subclass answers each GET in ``answer(path) -> (status, body, headers)``, ``path`` with its query.
    ``body`` may be a dict or list (sent as JSON), ``str`` (UTF-8, as ``text_type``) or ``bytes``; a header
    value may be a callable, evaluated when the answer is sent. Every request is kept in ``log`` as
    ``(arrival time, path)``; ``latency`` slows every answer down (to interrupt crawls in tests).
    """

    text_type = "text/html; charset=utf-8"

    def __init__(self, latency: float = 0.0, host: str = "127.0.0.1"):
        self.latency = latency
        self.log: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 (http.server's name)
                with server._lock:
                    server.log.append((time.monotonic(), self.path))
                if server.latency:
                    time.sleep(server.latency)
                server.send(self, *server.answer(self.path))

        # Any 127.x.y.z is this machine: a bench serves "many hosts" from one on 127.0.0.2, 127.0.0.3, …
        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.host = host
        self.url = f"http://{self.host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def requests(self) -> list[tuple[float, str]]:
        return self.log

    def paths(self, contains: str = "") -> list[str]:
        with self._lock:
            return [path for _, path in self.log if contains in path]

    def times(self, contains: str) -> list[float]:
        with self._lock:
            return [t for t, path in self.log if contains in path]

    def answer(self, path: str) -> tuple[int, object, dict]:
        raise NotImplementedError

    def send(self, request: BaseHTTPRequestHandler, status: int, body, headers: dict | None = None) -> None:
        headers = dict(headers or {})
        content_type = self.text_type
        if isinstance(body, (dict, list)):
            body, content_type = json.dumps(body, ensure_ascii=False), "application/json; charset=utf-8"
        if isinstance(body, str):
            body = body.encode("utf-8")
        body = body or b""
        request.send_response(status)
        request.send_header("Content-Type", headers.pop("Content-Type", content_type))
        for name, value in headers.items():
            request.send_header(name, str(value() if callable(value) else value))
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)


class SampleTelegram(LocalServer):
    """Serve a spec in Telegram's markup; ``with SampleTelegram(spec) as site: site.url``."""

    def __init__(self, spec: dict, latency: float = 0.0, host: str = "127.0.0.1"):
        super().__init__(latency, host)
        self.spec = spec
        self.faults = {path: list(answers) for path, answers in spec.get("faults", {}).items()}

    @classmethod
    def from_file(cls, path: Path, **kwargs) -> SampleTelegram:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")), **kwargs)

    def answer(self, path: str) -> tuple[int, object, dict]:
        with self._lock:
            fault = self.faults.get(path, [])
            planned = fault.pop(0) if fault else None
        if planned:
            status, retry_after = planned
            return status, b"", {} if retry_after is None else {"Retry-After": retry_after}
        parts = urlsplit(path)
        segments = [s for s in parts.path.split("/") if s]
        channels = self.spec["channels"]
        if len(segments) != 2 or segments[0] != "s":
            return 404, "not found", {}
        handle = segments[1]
        status = channels.get(handle, {}).get("status", "ok") if handle in channels else "unknown"
        if status == "gone":
            return 404, "<html><body>Not found</body></html>", {}
        if status in ("private", "unknown"):
            # t.me sends private channels and unknown usernames to the plain page, which has no preview.
            return 302, b"", {"Location": f"/{handle}"}
        before = parse_qs(parts.query).get("before", [None])[0]
        return 200, render_channel(handle, channels[handle], int(before) if before else None,
                                   self.spec.get("page_size", 20)), {}

"""Stand-ins on 127.0.0.1 for t.me (``SampleTelegram``: channel previews in Telegram's markup from a JSON
spec) and for a Mastodon instance (``SampleMastodon``: its public API's JSON, with audiences).

``pagescout demo`` serves the bundled ``data/sample/telegram.json`` and ``mastodon.json`` with them so the
real spiders and HTTP stack run offline, and the tests serve their own specs (dead channels, 429s, slow
pages) the same way. ``SampleMastodon`` describes its spec itself; ``SampleTelegram``'s:

Spec: ``{"channels": {handle: {"title", "description", "subscribers", "verified", "status"
("ok" | "private" | "gone"), "posts": [{"id", "date", "text", "views", "reactions": {emoji: n},
"forwarded_from": "channel/123" | "hidden:Name"}]}}, "page_size": 20}``.
``faults``: ``{path: [[status, retry_after or null], …]}`` answered in turn before the real page.
"""

from __future__ import annotations

import hashlib
import html
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit


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


class SampleMastodon(LocalServer):
    """Serve a spec as a Mastodon instance's public API; ``with SampleMastodon(spec) as site: site.url``.

    ``pagescout demo`` serves the bundled ``data/sample/mastodon.json`` (made by data/sample/make_sample.py)
    so the real Mastodon spider, its audience sampling and ``gather`` run offline. Every account is local
    (its ``acct`` is the bare user name), so nothing is ever asked of another host.

    Spec: ``{"seeds": [user, …], "tour": {…} (what crawler.demo shows), "page_size": 80, "accounts": {user:
    {…}}}``. An account
    has ``name``, ``note`` (plain text), ``avatar`` (false: Mastodon's default picture), ``created_days_ago``,
    ``statuses_count``, ``followers_count`` and ``following_count`` (default: as many as its lists hold),
    ``last_status_days_ago`` (or null), ``bot``, ``hide_collections`` (its followers and follows are shown
    as empty lists, as Mastodon does), ``moved_to`` (a user: it moved away), ``gone`` (deleted: every
    request about it answers 404), ``following`` (users it follows, newest first; an account's followers
    are everyone whose ``following`` names it) and ``statuses``, newest first: ``{"id", "days_ago", "text",
    "favourites", "reblogs", "replies", "mentions": [user], "reply_to": [user, status id], "reblog": [user,
    status id] (a boost of that status), "favourited_by": [user], "reblogged_by": [user]}``.

    Dates are offsets: ``days_ago`` is counted back from the moment the server was made, so posts keep
    their ages (and stay older than 48 hours) however long ago the spec was written. Lists are paged as
    Mastodon pages them: statuses with ``max_id``, accounts (followers, following, favourited_by,
    reblogged_by) only through the ``Link`` header.
    """

    text_type = "application/json; charset=utf-8"
    STATUSES_PAGE = 40
    ACCOUNTS_PAGE = 80
    SEARCH_PAGE = 40

    def __init__(self, spec: dict, latency: float = 0.0, host: str = "127.0.0.1"):
        super().__init__(latency, host)
        self.spec = spec
        self.now = datetime.now(timezone.utc).replace(microsecond=0)
        self.accounts: dict[str, dict] = spec["accounts"]
        self.page_size = int(spec.get("page_size", self.ACCOUNTS_PAGE))
        self.ids = {user: self.account_id(user) for user in self.accounts}
        self.users = {account_id: user for user, account_id in self.ids.items()}
        self.followers: dict[str, list[str]] = {user: [] for user in self.accounts}
        for user, account in self.accounts.items():
            for followed in account.get("following", []):
                if followed in self.followers:
                    self.followers[followed].append(user)
        self.statuses: dict[str, tuple[str, dict]] = {}  # status id → (author, status)
        for user, account in self.accounts.items():
            for status in account.get("statuses", []):
                self.statuses[str(status["id"])] = (user, status)

    @classmethod
    def from_file(cls, path: Path, **kwargs) -> SampleMastodon:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")), **kwargs)

    @staticmethod
    def account_id(user: str) -> str:
        """A snowflake-sized id, the same for a user name on every run."""
        return str(109_000_000_000_000_000 + int(hashlib.sha1(user.encode()).hexdigest()[:12], 16))

    # rendering ---------------------------------------------------------------------------------
    def when(self, days_ago: float) -> str:
        return (self.now - timedelta(days=days_ago)).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def day(self, days_ago: float) -> str:
        return (self.now - timedelta(days=days_ago)).date().isoformat()

    def profile(self, user: str) -> str:
        return f"{self.url}/@{user}"

    def html(self, text: str) -> str:
        """Plain text as Mastodon's HTML: paragraphs, <br>, mentions as h-cards, links and hashtags."""
        def piece(word: str) -> str:
            core = word.rstrip(".,!?:;»)")
            tail = word[len(core):]
            user = core[1:]
            if core.startswith("@") and user in self.accounts:
                return (f'<span class="h-card" translate="no"><a href="{self.profile(user)}" class="u-url mention">'
                        f'@<span>{html.escape(user)}</span></a></span>{html.escape(tail)}')
            if core.startswith(("http://", "https://")):
                return (f'<a href="{html.escape(core)}" target="_blank" rel="nofollow noopener">'
                        f'{html.escape(core)}</a>{html.escape(tail)}')
            if core.startswith("#") and len(core) > 1:
                return (f'<a href="{self.url}/tags/{html.escape(core[1:])}" class="mention hashtag" rel="tag">'
                        f'#<span>{html.escape(core[1:])}</span></a>{html.escape(tail)}')
            return html.escape(word)

        paragraphs = [p for p in text.split("\n\n") if p.strip()]
        return "".join("<p>" + "<br>".join(" ".join(piece(w) for w in line.split(" ")) for line in p.split("\n"))
                       + "</p>" for p in paragraphs)

    def account(self, user: str, moved: bool = True) -> dict:
        """The Account entity of ``user`` as the instance shows it to anyone."""
        spec = self.accounts[user]
        account_id = self.ids[user]
        avatar = (f"{self.url}/system/accounts/avatars/{account_id}/original/{user}.png" if spec.get("avatar")
                  else f"{self.url}/avatars/original/missing.png")
        last = spec.get("last_status_days_ago")
        entity = {
            "id": account_id, "username": user, "acct": user, "display_name": spec.get("name", ""),
            "locked": False, "bot": bool(spec.get("bot")), "discoverable": True, "group": False,
            "created_at": self.day(spec.get("created_days_ago", 365)) + "T00:00:00.000Z",
            "note": self.html(spec["note"]) if spec.get("note") else "",
            "url": self.profile(user), "uri": f"{self.url}/users/{user}",
            "avatar": avatar, "avatar_static": avatar,
            "header": f"{self.url}/headers/original/missing.png", "header_static": f"{self.url}/headers/original/missing.png",
            "followers_count": spec.get("followers_count", len(self.followers[user])),
            "following_count": spec.get("following_count", len(spec.get("following", []))),
            "statuses_count": spec.get("statuses_count", len(spec.get("statuses", []))),
            "last_status_at": None if last is None else self.day(last),
            "hide_collections": bool(spec.get("hide_collections")), "emojis": [], "fields": [],
        }
        target = spec.get("moved_to")
        if moved and target in self.accounts:
            entity["moved"] = self.account(target, moved=False)
        return entity

    def mention(self, user: str) -> dict:
        return {"id": self.ids[user], "username": user, "acct": user, "url": self.profile(user)}

    def status(self, user: str, status: dict) -> dict:
        """The Status entity of one of ``user``'s timeline entries (a boost carries the boosted status)."""
        status_id = str(status["id"])
        entity = {
            "id": status_id, "created_at": self.when(status["days_ago"]), "in_reply_to_id": None,
            "in_reply_to_account_id": None, "sensitive": False, "spoiler_text": "", "visibility": "public",
            "language": "ru", "uri": f"{self.url}/users/{user}/statuses/{status_id}",
            "url": f"{self.profile(user)}/{status_id}", "replies_count": status.get("replies", 0),
            "reblogs_count": status.get("reblogs", 0), "favourites_count": status.get("favourites", 0),
            "quotes_count": 0, "edited_at": None, "content": self.html(status.get("text", "")), "reblog": None,
            "account": self.account(user), "media_attachments": [], "mentions": [], "tags": [], "emojis": [],
            "card": None, "poll": None,
        }
        boosted = status.get("reblog")
        if boosted and str(boosted[1]) in self.statuses:
            author, original = self.statuses[str(boosted[1])]
            entity.update(content="", url=None, replies_count=0, reblogs_count=0, favourites_count=0,
                          uri=f"{self.url}/users/{user}/statuses/{status_id}/activity",
                          reblog=self.status(author, original))
            return entity
        replied = status.get("reply_to")
        if replied and replied[0] in self.accounts:
            entity.update(in_reply_to_id=str(replied[1]), in_reply_to_account_id=self.ids[replied[0]])
        entity["mentions"] = [self.mention(m) for m in status.get("mentions", []) if m in self.accounts]
        return entity

    # answering ---------------------------------------------------------------------------------
    def gone(self, user: str | None) -> bool:
        return user is None or user not in self.accounts or bool(self.accounts[user].get("gone"))

    def account_list(self, users: list[str], path: str, query: dict) -> tuple[int, object, dict]:
        """One page of an account list, paged only through the ``Link`` header as Mastodon does: each entry
        stands for a row (a follow, a favourite) whose id falls towards the end of the list."""
        try:
            limit = max(1, min(int(query.get("limit", 40)), self.page_size))
            max_id = int(query["max_id"]) if "max_id" in query else None
        except ValueError:
            return 422, {"error": "Validation failed: limit and max_id are numbers"}, {}
        rows = [(len(users) - i, user) for i, user in enumerate(users) if not self.gone(user)]
        if max_id is not None:
            rows = [(row, user) for row, user in rows if row < max_id]
        page = rows[:limit]
        links = []
        if len(rows) > limit:
            links.append(f'<{self.url}{path}?{urlencode({"limit": limit, "max_id": page[-1][0]})}>; rel="next"')
        if page:
            links.append(f'<{self.url}{path}?{urlencode({"limit": limit, "min_id": page[0][0]})}>; rel="prev"')
        return 200, [self.account(user) for _, user in page], ({"Link": ", ".join(links)} if links else {})

    def answer(self, path: str) -> tuple[int, object, dict]:
        parts = urlsplit(path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        segments = [s for s in parts.path.split("/") if s]
        missing = (404, {"error": "Record not found"}, {})
        if parts.path == "/api/v1/accounts/lookup":
            user = query.get("acct", "").strip().removeprefix("@").lower()
            local, _, host = user.partition("@")
            if host and host != self.host:
                return missing
            return missing if self.gone(local) else (200, self.account(local), {})
        if parts.path == "/api/v2/search":
            return 200, {"accounts": self.search(query), "statuses": [], "hashtags": []}, {}
        if segments[:3] == ["api", "v1", "accounts"] and len(segments) in (4, 5):
            user = self.users.get(segments[3])
            if self.gone(user):
                return missing
            if len(segments) == 4:
                return 200, self.account(user), {}
            what = segments[4]
            if what == "statuses":
                return self.timeline(user, query)
            if what in ("followers", "following"):
                spec = self.accounts[user]
                listed = [] if spec.get("hide_collections") else (
                    self.followers[user] if what == "followers" else spec.get("following", []))
                return self.account_list(listed, path.split("?", 1)[0], query)
            return missing
        if segments[:3] == ["api", "v1", "statuses"] and len(segments) in (4, 5):
            found = self.statuses.get(segments[3])
            if found is None or self.gone(found[0]):
                return missing
            author, status = found
            if len(segments) == 4:
                return 200, self.status(author, status), {}
            if segments[4] in ("favourited_by", "reblogged_by"):
                return self.account_list(status.get(segments[4], []), path.split("?", 1)[0], query)
        return missing

    def timeline(self, user: str, query: dict) -> tuple[int, object, dict]:
        try:
            limit = max(1, min(int(query.get("limit", 20)), self.STATUSES_PAGE))
            max_id = int(query["max_id"]) if "max_id" in query else None
        except ValueError:
            return 422, {"error": "Validation failed: limit and max_id are numbers"}, {}
        entries = sorted(self.accounts[user].get("statuses", []), key=lambda s: int(s["id"]), reverse=True)
        if max_id is not None:
            entries = [s for s in entries if int(s["id"]) < max_id]
        return 200, [self.status(user, s) for s in entries[:limit]], {}

    def search(self, query: dict) -> list[dict]:
        """Accounts whose user name, display name or bio holds the query (``user@host`` names one)."""
        if query.get("type", "accounts") != "accounts":
            return []
        text = query.get("q", "").strip().removeprefix("@").lower()
        if not text:
            return []
        try:
            limit = max(1, min(int(query.get("limit", 20)), self.SEARCH_PAGE))
        except ValueError:
            limit = 20
        local, _, host = text.partition("@")
        if host:
            return [] if host != self.host or self.gone(local) else [self.account(local)]
        found = [user for user, spec in self.accounts.items() if not spec.get("gone") and any(
            text in str(value).lower() for value in (user, spec.get("name", ""), spec.get("note", "")))]
        found.sort(key=lambda user: (not self.accounts[user].get("page"), user))  # pages first
        return [self.account(user) for user in found[:limit]]

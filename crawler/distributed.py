"""A crawl shared by many workers through Redis (``--queue redis://…``), on scrapy-redis.

scrapy-redis gives the shared request queue and duplicate filter. What it does not give, and this
module adds:

- **Leases** (the reliable-queue pattern): a request a worker takes moves from the queue to a lease
  that the worker renews every second. It is acknowledged only once its answer has been parsed and
  what came of it has been committed to the store; a worker killed with ``kill -9`` stops renewing,
  and after ``PAGESCOUT_LEASE_SECONDS`` any other worker puts its requests back on the queue. Every
  store write is an upsert, so a page fetched twice is stored once.
- **Politeness across workers**: one next-allowed time per host in Redis, taken atomically before each
  download, so N workers together keep the delay one worker would; a ``Retry-After`` or a rate-limit
  header pushes that time forward for every worker.
- **Limits for the crawl as a whole**: the shortest hop of every account and the links seen so far
  live in Redis (the same rule as ``PlatformSpider.expand``, run as one Lua script), so ``--depth``
  reaches the pages one process would; ``--max-requests`` is one counter for all workers.
- **Tokens stay local**: requests are stored as the spiders make them, before
  ``crawler.apikeys.ApiKeyMiddleware`` adds a key for the download; the database URL is never stored.

Keys, all under ``pagescout:``: ``crawls`` (the set of crawl ids), ``crawl:<id>`` (its description and
status), ``crawl:<id>:pending`` (scrapy-redis's priority queue), ``:seen`` (its duplicate filter),
``:leases`` / ``:leased`` / ``:leased_score`` (requests taken), ``:hops`` and ``:links:<handle>``
(depth), ``:sent`` (the request budget), ``:workers`` (each worker's counts), ``host:<host>:next``
and ``host:<host>:pause`` (the next time a host may be asked, and until when it is paused) and
``workers`` (who is working).

Requests are pickled, as Scrapy's own resumable job folders are: the Redis server must be one only
pagescout's workers can reach (bind it to a private address and set a password).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import socket
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

PREFIX = "pagescout:"
#: How long a taken request stays leased without renewal before another worker may take it again.
LEASE_SECONDS = 30.0
#: A worker not heard from for this long is shown as gone in ``crawl-status``.
WORKER_GONE_SECONDS = 10.0
#: How often a worker renews its leases, returns expired ones, commits and publishes its counts.
TICK_SECONDS = 0.5
#: How long a finished crawl's description and counts stay in Redis for ``crawl-status``.
KEEP_FINISHED_SECONDS = 7 * 86400

LIVE = ("seeding", "queued")


class QueueError(ValueError):
    """A queue URL that cannot be used (wrong scheme, server unreachable, scrapy-redis not installed)."""


def connect(url: str):
    """A Redis client for ``url`` (``redis://``, ``rediss://`` or ``unix://``), checked with a ping."""
    scheme = urlsplit(url).scheme
    if scheme not in ("redis", "rediss", "unix"):
        raise QueueError(f"--queue {url!r} is not a Redis URL: give redis://HOST:PORT/DB")
    try:
        import redis

        importlib.import_module("scrapy_redis")  # the scheduler the workers run
    except ImportError:
        raise QueueError("a crawl on a queue needs the queue extra (scrapy-redis): "
                         "pip install 'pagescout[queue]'") from None
    where = shown(url)
    try:
        client = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=5, health_check_interval=30)
        client.ping()
    except redis.exceptions.AuthenticationError:
        raise QueueError(f"the queue at {where} refused the password; check --queue") from None
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, ValueError) as exc:
        raise QueueError(f"cannot reach the queue at {where} ({type(exc).__name__}); start redis-server "
                         "there or fix --queue") from None
    return client


def shown(url: str) -> str:
    """``url`` with its password, if any, as ``***``: in the address (``redis://:pw@host``) or its query
    (``unix:///run/redis.sock?password=pw``)."""
    parts = urlsplit(url)
    if parts.password:
        url = url.replace(f":{parts.password}@", ":***@")
    return re.sub(r"(?i)([?&]password=)[^&#]*", r"\1***", url)


def key(crawl_id: str, part: str = "") -> str:
    return f"{PREFIX}crawl:{crawl_id}" + (f":{part}" if part else "")


# Lua scripts: each runs atomically in Redis, on Redis's clock, so workers on machines whose clocks
# disagree still agree on leases and host times.
_NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) + tonumber(t[2]) / 1000000 "

TAKE = _NOW + """
local item = redis.call('ZPOPMIN', KEYS[1])
if #item == 0 then return false end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], item[1])
redis.call('HSET', KEYS[4], ARGV[1], item[2])
return item[1]
"""

RENEW = _NOW + """
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i]) end
return #ARGV - 1
"""

RETURN_EXPIRED = _NOW + """
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 500)
for _, id in ipairs(expired) do
  local data = redis.call('HGET', KEYS[3], id)
  if data then redis.call('ZADD', KEYS[1], tonumber(redis.call('HGET', KEYS[4], id)), data) end
  redis.call('ZREM', KEYS[2], id) redis.call('HDEL', KEYS[3], id) redis.call('HDEL', KEYS[4], id)
end
return #expired
"""

# Put given leases back on the queue at once (a worker stopping cleanly with requests not done).
RELEASE = """
for i = 1, #ARGV do
  local id = ARGV[i]
  local data = redis.call('HGET', KEYS[3], id)
  if data then redis.call('ZADD', KEYS[1], tonumber(redis.call('HGET', KEYS[4], id)), data) end
  redis.call('ZREM', KEYS[2], id) redis.call('HDEL', KEYS[3], id) redis.call('HDEL', KEYS[4], id)
end
return #ARGV
"""

# The host's next allowed time: the caller may go at max(now, next) and moves next one delay on.
RESERVE_HOST = _NOW + """
local next_time = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, next_time)
local delay = tonumber(ARGV[1])
redis.call('SET', KEYS[1], tostring(slot + delay), 'PX', math.ceil((slot + delay - now) * 1000) + 60000)
return tostring(slot - now)
"""

# A Retry-After or a spent rate-limit window: no one asks the host before then, turns taken already included.
PAUSE_HOST = _NOW + """
local until_time = math.max(tonumber(redis.call('GET', KEYS[2]) or '0'), now + tonumber(ARGV[1]))
local ttl = math.ceil((until_time - now) * 1000) + 60000
redis.call('SET', KEYS[2], tostring(until_time), 'PX', ttl)
if tonumber(redis.call('GET', KEYS[1]) or '0') < until_time then redis.call('SET', KEYS[1], tostring(until_time), 'PX', ttl) end
return tostring(until_time - now)
"""

PAUSED_FOR = _NOW + """
return tostring(math.max(0, tonumber(redis.call('GET', KEYS[1]) or '0') - now))
"""

# PlatformSpider.expand's shortest-hop rule over the shared hops (hash) and links (one set per handle).
# ARGV: depth, mode, then: 'expand': a fetched account, its hop and what it links to (its hop is lowered
# if the spider found it nearer: VK and blogs resolve an alias); 'seed': seeds, at hop 0, lowering known
# ones; 'search': accounts a search found, at hop 0 when new, known ones left as they are.
SHORTEST_HOPS = """
local hops, links, depth, mode = KEYS[1], KEYS[2], tonumber(ARGV[1]), ARGV[2]
local out, stack = {}, {}
if mode == 'expand' then
  local handle, hop = ARGV[3], tonumber(ARGV[4])
  local known = redis.call('HGET', hops, handle)
  if not known or tonumber(known) > hop then redis.call('HSET', hops, handle, hop) end
  for i = 5, #ARGV do redis.call('SADD', links .. handle, ARGV[i]) end
  table.insert(stack, handle)
else
  for i = 3, #ARGV do
    local known = redis.call('HGET', hops, ARGV[i])
    if not known then
      redis.call('HSET', hops, ARGV[i], 0)
      table.insert(out, ARGV[i]) table.insert(out, 0)
    elseif mode == 'seed' and tonumber(known) > 0 then
      redis.call('HSET', hops, ARGV[i], 0)
      table.insert(stack, ARGV[i])
    end
  end
end
while #stack > 0 do
  local current = table.remove(stack)
  local hop = tonumber(redis.call('HGET', hops, current))
  if hop and hop < depth then
    for _, other in ipairs(redis.call('SMEMBERS', links .. current)) do
      if other ~= current then
        local known = redis.call('HGET', hops, other)
        if not known then
          redis.call('HSET', hops, other, hop + 1)
          table.insert(out, other) table.insert(out, hop + 1)
        elseif tonumber(known) > hop + 1 then
          redis.call('HSET', hops, other, hop + 1)
          table.insert(stack, other)
        end
      end
    end
  end
end
return out
"""

# The crawl is over when nothing is queued or leased and its seeds are all in: mark it so, once
# ('finished' to the worker that marks it, 'over' to the others). A crawl still seeding with nothing
# queued or leased is 'waiting': nothing to do yet.
FINISH_IF_DONE = """
local status = redis.call('HGET', KEYS[1], 'status')
local busy = redis.call('ZCARD', KEYS[2]) > 0 or redis.call('ZCARD', KEYS[3]) > 0
if status == 'seeding' then return busy and 'seeding' or 'waiting' end
if status ~= 'queued' then return 'over' end
if busy then return 'queued' end
redis.call('HSET', KEYS[1], 'status', 'finished', 'finished_at', ARGV[1])
return 'finished'
"""


# the crawl's description --------------------------------------------------------------------------
@dataclass
class CrawlSpec:
    """What a worker needs to join a crawl: never the database URL, never a token."""

    crawl_id: str
    platform: str
    spider_args: dict
    delay: float
    max_requests: int = 0
    timeout: float | None = None
    status: str = "seeding"
    created_at: str = ""
    finished_at: str = ""

    @classmethod
    def read(cls, client, crawl_id: str) -> CrawlSpec | None:
        raw = {k.decode(): v.decode() for k, v in client.hgetall(key(crawl_id)).items()}
        if "platform" not in raw:
            return None
        return cls(crawl_id, raw["platform"], json.loads(raw["spider_args"]), float(raw["delay"]),
                   int(raw.get("max_requests") or 0), float(raw["timeout"]) if raw.get("timeout") else None,
                   raw.get("status", "seeding"), raw.get("created_at", ""), raw.get("finished_at", ""))


def crawl_id_for(platform: str, spider_args: dict, delay: float, max_requests: int) -> str:
    """The same command names the same crawl: running it again while workers are on it joins it."""
    text = json.dumps([platform, spider_args, delay, max_requests], sort_keys=True, default=str)
    return f"{platform}-{hashlib.sha1(text.encode()).hexdigest()[:12]}"


def register(client, platform: str, spider_args: dict, *, delay: float, max_requests: int = 0,
             timeout: float | None = None, fresh: bool = False) -> CrawlSpec:
    """Put a crawl on the queue (status ``seeding`` until its seeds are in). The same crawl still live is
    joined, unless ``fresh``; one that finished is started afresh, its duplicate filter, hops and counts
    cleared."""
    crawl_id = crawl_id_for(platform, spider_args, delay, max_requests)
    existing = CrawlSpec.read(client, crawl_id)
    if existing is not None and existing.status in LIVE and not fresh:
        client.hset(key(crawl_id), "status", "seeding")
        return CrawlSpec.read(client, crawl_id)
    stale = [key(crawl_id, part) for part in ("pending", "seen", "leases", "leased", "leased_score", "hops",
                                              "sent", "workers")]
    stale += list(client.scan_iter(match=key(crawl_id, "links:*"), count=1000))
    client.delete(*stale)
    spec = CrawlSpec(crawl_id, platform, spider_args, delay, max_requests, timeout, "seeding",
                     created_at=now_text())
    client.delete(key(crawl_id))
    client.hset(key(crawl_id), mapping={
        "platform": platform, "spider_args": json.dumps(spider_args, default=str), "delay": str(delay),
        "max_requests": str(max_requests or 0), "timeout": "" if timeout is None else str(timeout),
        "status": "seeding", "created_at": spec.created_at})
    client.sadd(PREFIX + "crawls", crawl_id)
    return spec


def tidy(client, crawl_id: str) -> None:
    """A crawl that is over: its duplicate filter, hops and links go (running it again starts afresh),
    and its description and counts stay ``KEEP_FINISHED_SECONDS`` for ``crawl-status``."""
    client.delete(key(crawl_id, "seen"), key(crawl_id, "hops"), key(crawl_id, "pending"),
                  *client.scan_iter(match=key(crawl_id, "links:*"), count=1000))
    for part in ("", "workers", "sent"):
        client.expire(key(crawl_id, part), int(KEEP_FINISHED_SECONDS))


def now_text() -> str:
    """Now, in UTC, as the crawl's description records times."""
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# the shared pieces the crawl's components use --------------------------------------------------
class SharedHops:
    """``PlatformSpider.expand``'s hops and links, held in Redis for every worker of one crawl."""

    def __init__(self, client, crawl_id: str, depth: int):
        self.depth = depth
        self.keys = [key(crawl_id, "hops"), key(crawl_id, "links:")]
        self.script = client.register_script(SHORTEST_HOPS)

    def seed(self, handles) -> list[tuple[str, int]]:
        """Record ``handles`` at hop 0 (seeds, accounts a search found); returns those new to the crawl at
        hop 0, and the accounts that came within ``--depth`` because a known one turned out to be a seed."""
        return self._pairs(self.script(keys=self.keys, args=[self.depth, "seed", *map(str, handles)]))

    def found_by_search(self, handles) -> list[str]:
        """Record the accounts a search found at hop 0 when they are new to the crawl; returns those."""
        return [handle for handle, _ in self._pairs(self.script(keys=self.keys, args=[self.depth, "search",
                                                                                     *map(str, handles)]))]

    def expand(self, handle: str, hop: int, others) -> list[tuple[str, int]]:
        """Record what ``handle`` links to; returns the accounts now within ``--depth`` that no worker has
        requested yet, with their hops."""
        if self.depth == 0:
            return []
        return self._pairs(self.script(keys=self.keys, args=[self.depth, "expand", str(handle), hop,
                                                             *map(str, others)]))

    @staticmethod
    def _pairs(found) -> list[tuple[str, int]]:
        return [(found[i].decode(), int(found[i + 1])) for i in range(0, len(found), 2)]


def limit_key(url: str, api_key: str | None = None) -> str:
    """What one shared clock paces: the host, and for a request that carries a token (``meta["api_key"]``)
    the token's fingerprint, so a platform that limits each token (VK: 3 requests a second) lets workers
    with tokens of their own go that fast each. Only a truncated SHA-256 of a token reaches Redis."""
    host = urlsplit(url).hostname or ""
    if api_key:
        from crawler.apikeys import secret

        token = secret(api_key)
        if token:
            host += "#" + hashlib.sha256(token.encode()).hexdigest()[:12]
    return host


class HostLimiter:
    """One next-allowed time per host, shared by every worker on the queue, and a pause per host."""

    def __init__(self, client):
        self.reserve_script = client.register_script(RESERVE_HOST)
        self.pause_script = client.register_script(PAUSE_HOST)
        self.paused_script = client.register_script(PAUSED_FOR)

    @staticmethod
    def host_key(host: str, part: str = "next") -> str:
        return f"{PREFIX}host:{host}:{part}"

    def reserve(self, host: str, delay: float) -> float:
        """Seconds to wait before asking ``host``; the host's next time moves ``delay`` on."""
        return float(self.reserve_script(keys=[self.host_key(host)], args=[delay]))

    def pause(self, host: str, seconds: float) -> None:
        """No worker asks ``host`` for ``seconds``, even those that already have their turn."""
        self.pause_script(keys=[self.host_key(host), self.host_key(host, "pause")], args=[seconds])

    def paused_for(self, host: str) -> float:
        return float(self.paused_script(keys=[self.host_key(host, "pause")]))


@dataclass
class WorkerCounts:
    """What ``crawl-status`` shows of one worker in one crawl."""

    worker: str
    requests: int = 0
    items: int = 0
    errors: int = 0
    in_flight: int = 0
    seen: float = 0.0
    alive: bool = False


@dataclass
class CrawlStatus:
    spec: CrawlSpec
    queued: int
    in_flight: int
    sent: int
    workers: list[WorkerCounts] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(w.requests for w in self.workers)

    @property
    def items(self) -> int:
        return sum(w.items for w in self.workers)

    @property
    def errors(self) -> int:
        return sum(w.errors for w in self.workers)


def status(client) -> list[CrawlStatus]:
    """Every crawl on the queue with what is queued and in flight, and each worker's counts."""
    now = float(client.time()[0])
    alive = {wid.decode(): json.loads(raw) for wid, raw in client.hgetall(PREFIX + "workers").items()}
    out = []
    for raw_id in sorted(client.smembers(PREFIX + "crawls")):
        crawl_id = raw_id.decode()
        spec = CrawlSpec.read(client, crawl_id)
        if spec is None:
            client.srem(PREFIX + "crawls", crawl_id)
            continue
        leases = [lease.decode() for lease in client.zrange(key(crawl_id, "leases"), 0, -1)]
        counts = []
        for wid, raw in sorted(client.hgetall(key(crawl_id, "workers")).items()):
            wid = wid.decode()
            figures = json.loads(raw)
            seen = alive.get(wid, {}).get("seen", figures.get("seen", 0.0))
            working = wid in alive and now - seen < WORKER_GONE_SECONDS  # a worker that stopped left the list
            counts.append(WorkerCounts(wid, figures.get("requests", 0), figures.get("items", 0),
                                       figures.get("errors", 0), sum(1 for lease in leases if lease.startswith(wid + "/")),
                                       seen, working))
        out.append(CrawlStatus(spec, client.zcard(key(crawl_id, "pending")), len(leases),
                               int(client.get(key(crawl_id, "sent")) or 0), counts))
    return out


def new_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:4]}"


def lease_seconds() -> float:
    """``PAGESCOUT_LEASE_SECONDS`` from the environment (tests shorten it), else ``LEASE_SECONDS``."""
    return float(os.environ.get("PAGESCOUT_LEASE_SECONDS") or LEASE_SECONDS)


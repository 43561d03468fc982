"""The demo database (``pagescout demo``): both bundled samples crawled offline, a gather, and past follower
counts, so every command has something to show.

``build_demo`` serves the Telegram sample (``data/sample/telegram.json``, channel previews without audiences)
and the Mastodon sample (``data/sample/mastodon.json``: pages with followers, likers and boosters whose
profiles carry what the bot rule reads) on 127.0.0.1, crawls both with the real spiders, runs one
``gather`` on the Mastodon sample, and writes the pages' past follower counts. Nothing leaves the machine.

Scrapy's reactor runs once per process: the Telegram crawl runs here, the Mastodon crawl and the gather
each in a fresh process (``crawler.run.crawl_in_child``), while this process serves the sample.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd

from crawler.items import Snapshot
from crawler.store import Store

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "sample"
TELEGRAM_SAMPLE = SAMPLES / "telegram.json"
MASTODON_SAMPLE = SAMPLES / "mastodon.json"
PRICES = SAMPLES / "prices.csv"
#: Days of past follower counts written for each sample page.
HISTORY_DAYS = 90
#: Audience members stored per Mastodon page and kind: every follower the sample lists.
AUDIENCE_LIMIT = 400
#: A gather's threshold: pages at least this share of the sampled members follow are kept.
GATHER_MIN_SHARE = 0.05


@dataclass
class DemoSummary:
    """What ``build_demo`` made: the database, the crawls' summary lines (to print), the gather's target
    (``mastodon:user@127.0.0.1``) and run name (``crawler.store.load_gather``), commands that show each
    part of it, the same gather as it would be run against a live instance (the sample's server is
    gone once the database is built), and the exit code the crawls call for (0, or 1 when a crawl
    could not store everything it fetched)."""

    db: Path
    lines: list[str] = field(default_factory=list)
    target: str = ""
    gather_run: str = ""
    try_commands: list[str] = field(default_factory=list)
    live_commands: list[str] = field(default_factory=list)
    exit_code: int = 0
    #: The budget the sample's prices (data/sample/prices.csv) are planned with.
    budget: float | None = None


def build_demo(db: Path, say: Callable[[str], None]) -> DemoSummary:
    """Build the demo database at ``db`` afresh (an earlier one, with its -wal and -shm, is deleted first):
    the Telegram sample crawled, the Mastodon sample crawled with its audiences, one gather of where the
    Mastodon target's followers gather, and 90 days of past follower counts for every sample page.

    The past follower counts are the sample's stand-in for months of ``pagescout refresh``: one snapshot
    per page and day, from the ``history`` of each Mastodon page in the sample (growth over 90 days, and
    jumps its trend does not explain, as bought followers make) and a steady, made-up growth for the
    Telegram channels, ending at the followers the crawl has just stored. ``say`` reports each step.
    """
    from crawler.run import crawl, crawl_in_child
    from crawler.sample_site import SampleMastodon, SampleTelegram

    db = Path(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        stale.unlink(missing_ok=True)
    summary = DemoSummary(db=db)
    summaries = []

    spec = json.loads(TELEGRAM_SAMPLE.read_text(encoding="utf-8"))
    with SampleTelegram(spec) as site:
        say(f"serving {len(spec['channels'])} sample channels at {site.url}")
        telegram = crawl("telegram", spec["seeds"], db=str(db), depth=2, max_posts=60, delay=0, base_url=site.url,
                         progress=False, resume=False)
    summaries.append(("telegram", telegram))

    sample = json.loads(MASTODON_SAMPLE.read_text(encoding="utf-8"))
    tour = sample["tour"]
    with SampleMastodon(sample) as site:
        pages = sum(1 for account in sample["accounts"].values() if account.get("page"))
        say(f"serving a sample Mastodon instance at {site.url}: {pages} pages, "
            f"{len(sample['accounts']) - pages} members")
        mastodon = crawl_in_child("mastodon", sample["seeds"], db=str(db), depth=2, max_posts=60,
                                  audience_limit=AUDIENCE_LIMIT, delay=0, base_url=site.url, progress=False,
                                  resume=False)
        summaries.append(("mastodon", mastodon))
        target = f"{tour['target']}@{site.host}"
        say(f"gathering where {tour['gather_members']} followers of {target} gather (their follow lists)")
        gathered, run = _in_child(_gather, target, db=str(db), members=tour["gather_members"],
                                  min_share=GATHER_MIN_SHARE, base_url=site.url)
        summaries.append(("gather", gathered))
        host = site.host

    written = write_history(db, sample, host)
    say(f"wrote {written:,} past follower counts ({HISTORY_DAYS} days; the sample's stand-in for pagescout refresh)")
    for name, crawled in summaries:
        summary.lines += [f"{name}: {line}" for line in crawled.lines()]
    summary.exit_code = max(crawled.exit_code for _, crawled in summaries)
    summary.target = f"mastodon:{target}"
    summary.gather_run = run
    summary.budget = float(tour["budget"])
    summary.try_commands = try_commands(db, tour, host)
    summary.live_commands = [f"pagescout gather mastodon:<user>@<instance> --members {tour['gather_members']} "
                             f"--min-share {GATHER_MIN_SHARE} --db {_shown(db)}"]
    return summary


def _gather(target: str, **options):
    """``crawler.run.gather`` as the demo runs it (a module-level function, so a fresh process can run it)."""
    from crawler.run import gather

    return gather("mastodon", [target], delay=0, progress=False, resume=False, **options)


def _in_child(function, *args, **kwargs):
    """``function`` in a fresh process, as ``crawler.run.crawl_in_child`` runs a crawl: Twisted's reactor
    runs once per process."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args, **kwargs).result()


def follower_history(followers: int, growth_90d: float, spikes=(), days: int = HISTORY_DAYS, seed: str = "") -> list[int]:
    """Followers 1 … ``days`` days ago (index 0 = yesterday) for a page that has ``followers`` today: a steady
    trend and, for each spike ``(days ago, rise)``, a jump by that share from one day to the next, together
    making ``growth_90d`` over 90 days; a little day-to-day noise (seeded by ``seed``) on top."""
    rng = random.Random(seed)
    jumps = [(int(ago), float(rise)) for ago, rise in spikes]
    total = 1 + growth_90d
    steady = total / math.prod(1 + rise for _, rise in jumps)
    start = followers / total
    counts = []
    for ago in range(1, days + 1):
        value = start * steady ** ((HISTORY_DAYS - ago) / HISTORY_DAYS)
        value *= math.prod(1 + rise for when, rise in jumps if ago < when)
        counts.append(max(0, round(value * (1 + rng.uniform(-0.002, 0.002)))))
    return counts


def write_history(db: Path, sample: dict, host: str) -> int:
    """Past daily snapshots of the sample pages the crawls stored: the Mastodon pages with a ``history``
    in the sample, and every Telegram channel (a steady growth of 2–21% over 90 days). Returns the
    snapshots written."""
    today = datetime.now(timezone.utc).date()
    rows = []
    with Store(str(db)) as store:
        accounts = store.load_accounts()
        for platform, handle, status, followers in zip(accounts["platform"], accounts["handle"], accounts["status"],
                                                       accounts["followers"]):
            if status != "ok" or pd.isna(followers):
                continue
            if platform == "mastodon":
                user, _, at = str(handle).partition("@")
                history = sample["accounts"].get(user, {}).get("history") if at == host else None
                if not history:
                    continue
                growth, spikes = history["growth_90d"], history.get("spikes", [])
            elif platform == "telegram":
                growth, spikes = random.Random(f"telegram:{handle}").uniform(0.02, 0.21), []
            else:
                continue
            past = follower_history(int(followers), growth, spikes, seed=f"{platform}:{handle}")
            rows += [asdict(Snapshot(platform, str(handle), (today - timedelta(days=ago)).isoformat(), count))
                     for ago, count in enumerate(past, start=1)]
        store.write({"Snapshot": rows})
    return len(rows)


def _shown(path: Path) -> str:
    """A path as a user would type it here: relative to the working folder when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def try_commands(db: Path, tour: dict, host: str) -> list[str]:
    """Commands that each show a part of the demo database."""
    def page(user: str) -> str:
        return f"mastodon:{user}@{host}"

    where = f"--db {_shown(db)}"
    target = page(tour["target"])
    return [
        f"pagescout rank --platform mastodon {where}",
        f"pagescout overlap {' '.join(page(user) for user in tour['overlap'])} {where}",
        f"pagescout audience --target {target} --top 10 {where}",
        f"pagescout plan --budget {tour['budget']} --prices {_shown(PRICES)} {where}",
        f"pagescout similar {target} --top 5 {where}",
        f"pagescout history {page(tour['history'])} {where}",
        f"pagescout ads --platform mastodon {where}",
        f"pagescout posts {target} --top 5 {where}",
    ]

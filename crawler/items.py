"""Items every spider yields. Fixed fields, so the store and exporters know each column in advance.

Handles are stored as each platform spells identity: Telegram usernames are case-insensitive, so
spiders lower-case them; see each spider for its own rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

FOLLOWERS_KINDS = ("subscribers", "members", "followers")
ACCOUNT_STATUSES = ("ok", "unavailable")
LINK_KINDS = ("forward", "mention", "repost", "quote", "reply", "follow", "same_as")
# Kinds of link that count as one account citing another (see ranking.engagement.citations).
CITING_LINK_KINDS = ("forward", "repost", "quote", "mention")
AUDIENCE_KINDS = ("follower", "member", "liker", "commenter", "reposter")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


@dataclass
class Account:
    platform: str
    handle: str
    name: str | None = None
    url: str | None = None
    description: str | None = None
    followers: int | None = None
    followers_kind: str | None = None
    verified: bool | None = None
    avatar: str | None = None
    created_at: datetime | None = None
    fetched_at: datetime = field(default_factory=utcnow)
    status: str = "ok"
    reason: str | None = None
    follows: int | None = None  # accounts it follows, where the platform shows it (Bluesky, Mastodon)
    posts_total: int | None = None  # posts it has published in all, as the platform counts them


@dataclass
class Post:
    platform: str
    account: str
    post_id: str
    url: str | None = None
    published_at: datetime | None = None
    text: str | None = None
    views: int | None = None
    likes: int | None = None  # likes, or the total of reactions where the platform has reactions
    comments: int | None = None
    reposts: int | None = None  # reposts, shares or forwards, whichever the platform counts
    kind: str = "post"
    # Advertising (crawler.ads, filled by pipelines.AdPipeline; None = not checked): whether the post is an
    # ad, the marker that says so, its erid tokens and the advertiser's links, space-separated; and
    # whether it is the page's own promotion (an erid on a link to itself), which is no ad.
    ad: bool | None = None
    ad_marker: str | None = None
    ad_erids: str | None = None
    ad_links: str | None = None
    own_promotion: bool | None = None
    # What the spider hands the ad check and the store never keeps: the post's links, and the platform's
    # own ad flag (VK's marked_as_ads, YouTube's paid product placement) where it has one.
    link_urls: list = field(default_factory=list)
    platform_ad: bool | None = None


@dataclass
class Link:
    """``src`` points at ``dst``: for a forward, ``src`` is the channel that forwarded ``dst``'s post."""

    platform: str
    src: str
    dst: str
    kind: str
    post_id: str | None = None
    at: datetime | None = None


@dataclass
class AudienceMember:
    """One member of an account's audience.

    Spiders fill ``member_id`` with the platform's raw id; ``pipelines.HashMemberPipeline`` replaces it
    with ``member_key`` (a keyed hash) before anything is stored, and clears ``member_id``.
    """

    platform: str
    account: str
    kind: str
    member_id: str | None = None
    member_key: int | None = None
    at: datetime | None = None
    # Signals for audience-quality scoring, where the platform shows them (None = not shown). Stored in
    # ``member_signals`` beside the hash, never with the member's id, handle or name. Dates are cut to
    # the day: an exact creation time would single the member out again.
    has_avatar: bool | None = None
    has_description: bool | None = None
    created_at: datetime | None = None
    follows: int | None = None
    followers: int | None = None
    posts: int | None = None
    deactivated: bool | None = None  # suspended, moved away or memorialised
    last_seen: datetime | None = None  # day of the member's last public post the platform reports
    # Profile signals for bot detection (VK's user fields, see crawler.spiders.vk). Only whether a thing
    # is there is kept, never the thing: a status, site, city, nickname or maiden name is text that could
    # name the member (or be searched for), so it would undo the hash. None = the platform did not show
    # it; False = shown and absent or empty (never a default for a missing value).
    can_message: bool | None = None  # others may write them a private message
    can_post: bool | None = None  # others may post on their wall
    has_status: bool | None = None
    has_site: bool | None = None
    is_closed: bool | None = None  # a closed (private) profile
    has_mobile: bool | None = None  # gave a phone number (the number itself is never read)
    has_birthday: bool | None = None
    has_city: bool | None = None
    has_occupation: bool | None = None
    can_see_all_posts: bool | None = None
    can_see_audio: bool | None = None
    can_send_friend_request: bool | None = None
    can_be_invited_group: bool | None = None
    has_nickname: bool | None = None
    has_maiden_name: bool | None = None
    is_verified: bool | None = None


@dataclass
class Snapshot:
    platform: str
    account: str
    date: str  # ISO date; one snapshot per account per day
    followers: int | None = None


@dataclass
class Follow:
    """A sampled member of a gather's target audience follows ``page``: a staging row, hashed like every
    member (``pipelines.HashMemberPipeline``). When the gather ends, the store keeps the rows of pages that
    at least ``GatherRun.min_members`` of the sample follow (as the run's count and as audience rows) and
    deletes the rest, so no member's own follow list is kept (``Store._finish_gather``)."""

    platform: str
    run: str
    page: str
    member_id: str | None = None
    member_key: int | None = None


#: What became of a sampled member's follow list.
FOLLOW_LIST_OUTCOMES = ("read", "hidden", "failed")


@dataclass
class GatherMember:
    """A sampled member of a gather's target audience and what became of their follow list: read (its
    pages counted), hidden (private, empty or refused) or failed. The member as a keyed hash only."""

    platform: str
    run: str
    outcome: str
    member_id: str | None = None
    member_key: int | None = None


#: How a gather's sample was drawn (``GatherRun.sampling``), in words.
SAMPLING_TEXTS = {"first": "the first members the platform lists, not a random sample",
                  "random": "a uniform random sample", "given": "the members listed in --target-members"}


@dataclass
class GatherRun:
    """One gather: its targets and how its sample was drawn. ``finished`` (set by the last item of the
    crawl) tells the store to keep the pages at least ``min_members`` sampled members follow."""

    platform: str
    run: str
    targets: str  # the target handles, comma-separated
    sampling: str  # "random" (uniform over the audience) or "first" (the first N the platform lists)
    members_sampled: int | None = None
    pages_found: int | None = None
    min_members: int | None = None
    finished: bool = False
    # A run that starts afresh (not resumed): the store forgets an earlier run's rows of the same name.
    fresh: bool = False
    at: datetime = field(default_factory=utcnow)

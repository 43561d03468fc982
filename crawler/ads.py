"""Which posts are ads, and the evidence: the marker that fired, erid tokens and the advertiser's links.

Read from a post's text, its links and the platform's own flag, in this order of strength:

- **the platform says so**: VK's ``marked_as_ads`` on ``wall.get`` items, YouTube Data API's
  ``paidProductPlacementDetails.hasPaidProductPlacement`` (crawler.spiders.vk, .youtube);
- **Russian advertising law (2023+)**: an ``erid`` token, in the text (``erid: 2Vtzqx…``) or in a link's
  query (``?erid=…``); «Реклама» as a label (a line that is only «Реклама», «Реклама.» or «Реклама:»,
  or a line starting «Реклама» and the advertiser: ``Реклама. ООО «…», ИНН …``); «Рекламодатель:»;
  «на правах рекламы»;
- **hashtags**: ``#реклама``, ``#ad``, ``#ads``, ``#sponsored``, ``#промо``;
- **Czech labels**: «reklama» as a label, «placená spolupráce», «komerční sdělení».

What is no ad: a post that talks about advertising («реклама в метро раздражает…», «по вопросам рекламы
пишите @…»): the word in a sentence is no label. A channel's description is never read here. An erid on a
link to the page itself is the page's own promotion: ``own_promotion``, not an ad.

Advertiser links are the post's links that lead away from the page: other sites, Telegram invites
(``t.me/+…``, ``t.me/joinchat/…``), bots (``t.me/…bot``) and other channels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

# Quantifiers are bounded throughout: a stranger's post of 50,000 spaces must not stall the crawl.
# an erid token has a digit in it: "erid tokens" names none
ERID_TEXT = re.compile(r"(?i)(?<![\w])erid[ \t]{0,3}[:=]?[ \t]{0,3}((?=[A-Za-z]{0,59}\d)[A-Za-z0-9]{6,60})(?![A-Za-z0-9])")
ERID_VALUE = re.compile(r"^[A-Za-z0-9]{6,60}$")
# «Реклама» / «reklama» as a label: a line that is only the word (after an emoji or bullet, with a full
# stop or colon at most), or the word at a line's start followed by the advertiser («Реклама. ООО …»).
# Anything else on the line («Реклама: @manager», «Реклама - это искусство») is talk, not a label.
_LABEL_START = r"(?im)^[^\w#\n]{0,8}"
RU_LABEL = re.compile(_LABEL_START + r"реклама[ \t]{0,3}[.:]?[ \t]{0,3}$")
_ORGANISATION = r"(?:ООО|ИП|АО|ПАО|ЗАО|ОАО|НКО)(?!\w)"
RU_LABEL_ADVERTISER = re.compile(_LABEL_START + r"реклама(?:[ \t]{0,3}[.:,—–-][ \t]{0,3}(?:" + _ORGANISATION
                                 + r"|«)|[ \t]{1,3}" + _ORGANISATION + r")")
RU_TAX_NUMBER = re.compile(r"(?i)(?<!\w)ИНН[ \t]{0,3}:?[ \t]{0,3}(?:\d{12}|\d{10})(?!\d)")
RU_ADVERTISER = re.compile(r"(?im)(?:^[^\w#\n]{0,8}|(?<!\w))рекламодатель[ \t]{0,3}:")
RU_ON_AD_TERMS = re.compile(r"(?i)(?<!\w)на[ \t]{1,3}правах[ \t]{1,3}рекламы(?!\w)")
HASHTAGS = re.compile(r"(?i)(?<![\w#])#(реклама|ad|ads|sponsored|промо)(?![\w-])")
CZ_LABEL = re.compile(_LABEL_START + r"reklama[ \t]{0,3}[.:]?[ \t]{0,3}$")
RU_WORD = re.compile(r"(?i)(?<!\w)реклама(?!\w)")
CZ_PAID = re.compile(r"(?i)(?<!\w)(placená[ \t]{1,3}spolupráce|komerční[ \t]{1,3}sdělení)(?!\w)")
# What every text marker above needs somewhere in the text, under the same case-insensitive matching: an
# «erid», «реклам» (the label, «рекламодатель», «рекламы», the word beside an ИНН), «reklama», the start of
# a Czech phrase, a marked hashtag. A text without any of these fires none of them, so one scan settles the
# post that mentions no advertising at all, as nearly every post. Written as the alternatives' first letters
# in one class, each alternative after the lookbehind that names its letter: the same matches as
# ``erid|реклам|reklama|placen|komer|#(?:…)``, in about half the time (the scan skips to those letters).
TEXT_MARKERS = re.compile(r"(?i)[eрrpk#](?:(?<=e)rid|(?<=р)еклам|(?<=r)eklama|(?<=p)lacen|(?<=k)omer"
                          r"|(?<=#)(?:реклама|ad|sponsored|промо))")
#: A web address in a post's text, up to the first space, quote or angle bracket.
WEB_ADDRESS = re.compile(r"https?://[^\s<>\"'«»]+")
TELEGRAM_HOSTS = ("t.me", "telegram.me", "www.t.me", "telegram.dog")
#: The marker a platform's own ad flag is reported as.
PLATFORM_FLAGS = {"vk": "VK: marked_as_ads", "youtube": "YouTube: paid product placement"}


@dataclass(frozen=True)
class AdEvidence:
    """What the detector found in one post. ``marker`` says why it is an ad (None: no ad)."""

    marker: str | None = None
    erids: tuple[str, ...] = ()
    advertiser_links: tuple[str, ...] = ()
    own_promotion: bool = False

    @property
    def is_ad(self) -> bool:
        return self.marker is not None


#: The evidence of a post with no link, no platform flag and no marker in its text.
NO_AD = AdEvidence()


@lru_cache(maxsize=1024)
def _page_of(url: str) -> tuple[str, str]:
    """(host, first path segment), lower-cased: what names a page on the big platforms (remembered for the
    last thousand addresses: a page's own address is asked for with each of its posts)."""
    try:
        parts = urlsplit(url if "//" in url else f"//{url}")
    except ValueError:
        return "", ""
    host = (parts.hostname or "").lower().removeprefix("www.")
    segments = [s for s in parts.path.split("/") if s]
    return host, (segments[0].lower() if segments else "")


def _erid_of(url: str) -> str | None:
    if "=" not in url:  # no query value at all (parse_qs skips a field without "="): nothing to parse
        return None
    try:
        query = parse_qs(urlsplit(url).query)
    except ValueError:
        return None
    values = [v for key, found in query.items() if key.lower() == "erid" for v in found]
    return next((v for v in values if ERID_VALUE.match(v)), None)


def _leads_away(url: str, own: tuple[str, str]) -> bool:
    host, first = _page_of(url)
    if not host:
        return False
    if (host, first) == own or (host == own[0] and not own[1]):
        return False
    if host in TELEGRAM_HOSTS and own[0] in TELEGRAM_HOSTS and first == own[1]:
        return False
    return True


def detect_ad(text: str | None, urls=(), own_url: str | None = None, platform_flag: bool | None = None,
              platform_reason: str = "the platform marks it as an ad") -> AdEvidence:
    """The ad evidence of one post: its ``text``, its links' ``urls``, the page's own URL (to tell its own
    promotion apart) and the platform's flag, where it has one.

    >>> detect_ad("Реклама. ООО «Ромашка», ИНН 7701234567\\nerid: 2VtzqwXyZ1").marker
    'erid token'
    >>> detect_ad("Скидки до 50%!\\n\\n#реклама").marker
    '#реклама'
    >>> detect_ad("Реклама в метро раздражает всех.").marker is None
    True
    >>> detect_ad("Смотрите мой новый канал", ["https://t.me/mychan?erid=2VtzqwXyZ1"], "https://t.me/mychan")
    AdEvidence(marker=None, erids=('2VtzqwXyZ1',), advertiser_links=(), own_promotion=True)
    """
    text = text or ""
    urls = [u for u in urls if isinstance(u, str) and u]
    marked = TEXT_MARKERS.search(text) is not None
    if not urls and not platform_flag and not marked:
        return NO_AD  # nothing below could fire
    own = _page_of(own_url) if own_url else ("", "")
    in_text = list(dict.fromkeys(ERID_TEXT.findall(text))) if marked else []
    on_links = {u: e for u in urls if (e := _erid_of(u))}
    erids = list(dict.fromkeys([*in_text, *on_links.values()]))
    labels = (
        ("" if not platform_flag else platform_reason),
        "«Реклама» label with the advertiser" if marked and RU_LABEL_ADVERTISER.search(text) else "",
        "«Реклама» label" if marked and RU_LABEL.search(text) else "",
        "«Рекламодатель»" if marked and RU_ADVERTISER.search(text) else "",
        "«на правах рекламы»" if marked and RU_ON_AD_TERMS.search(text) else "",
    )
    own_erids_only = (on_links and own_url and not any(_leads_away(u, own) for u in on_links)
                      and set(in_text) <= set(on_links.values()))
    if own_erids_only and not any(labels):
        return AdEvidence(None, tuple(erids), (), own_promotion=True)  # the page advertising itself
    checks = (
        labels[0],
        "erid token" if erids else "",
        *labels[1:],
        "«Реклама» with the advertiser's ИНН" if marked and RU_TAX_NUMBER.search(text) and RU_WORD.search(text)
        else "",
        f"#{m.group(1).lower()}" if marked and (m := HASHTAGS.search(text)) else "",
        "«reklama» label" if marked and CZ_LABEL.search(text) else "",
        f"«{m.group(1).lower()}»" if marked and (m := CZ_PAID.search(text)) else "",
    )
    marker = next((c for c in checks if c), None)
    away = tuple(dict.fromkeys(u for u in urls if _leads_away(u, own))) if marker else ()
    return AdEvidence(marker, tuple(erids), away)

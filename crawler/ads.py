"""Which posts are ads, and the evidence: the marker that fired, erid tokens and the advertiser's links.

Read from a post's text, its links and the platform's own flag, in this order of strength:

- **the platform says so**: VK's ``marked_as_ads`` on ``wall.get`` items, YouTube Data API's
  ``paidProductPlacementDetails.hasPaidProductPlacement``;
- **Russian advertising law (2023+)**: an ``erid`` token, in the text (``erid: 2Vtzqx…``) or in a link's
  query (``?erid=…``); «Реклама» as a label (a line that is just «Реклама», «Реклама.» or «Реклама:»,
  or «Реклама» followed by the advertiser: ``Реклама. ООО «…», ИНН …``); «Рекламодатель»; «на правах
  рекламы»;
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
from urllib.parse import parse_qs, urlsplit

ERID_TEXT = re.compile(r"(?i)(?<![\w])erid\s*[:=]?\s*([A-Za-z0-9]{6,60})\b")
ERID_VALUE = re.compile(r"^[A-Za-z0-9]{6,60}$")
# «Реклама» / «reklama» as a label: alone on its line (after an optional emoji or bullet), or with a
# full stop, colon or dash after it and the advertiser's name or tax number to follow.
_LABEL_START = r"(?im)^[^\w#]{0,3}"
RU_LABEL = re.compile(_LABEL_START + r"реклама\s*(?:[.:|—–-]|$)")
RU_LABEL_ADVERTISER = re.compile(r"(?i)\bреклама[.:,]?\s*(?:ООО|ИП|АО|ПАО|ЗАО|ОАО|НКО|«)")
RU_TAX_NUMBER = re.compile(r"(?i)\bИНН\s*:?\s*\d{10,12}\b")
RU_ADVERTISER = re.compile(r"(?i)\bрекламодател[ьяюем]\b")
RU_ON_AD_TERMS = re.compile(r"(?i)\bна\s+правах\s+рекламы\b")
HASHTAGS = re.compile(r"(?i)(?<![\w#])#(реклама|ad|ads|sponsored|промо)(?![\w])")
CZ_LABEL = re.compile(_LABEL_START + r"reklama\s*(?:[.:|—–-]|$)")
CZ_PAID = re.compile(r"(?i)\b(placená\s+spolupráce|komerční\s+sdělení)\b")
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


def _page_of(url: str) -> tuple[str, str]:
    """(host, first path segment), lower-cased: what names a page on the big platforms."""
    try:
        parts = urlsplit(url if "//" in url else f"//{url}")
    except ValueError:
        return "", ""
    host = (parts.hostname or "").lower().removeprefix("www.")
    segments = [s for s in parts.path.split("/") if s]
    return host, (segments[0].lower() if segments else "")


def _erid_of(url: str) -> str | None:
    try:
        values = parse_qs(urlsplit(url).query).get("erid") or []
    except ValueError:
        return None
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
    own = _page_of(own_url) if own_url else ("", "")
    in_text = list(dict.fromkeys(ERID_TEXT.findall(text)))
    on_links = {u: e for u in urls if (e := _erid_of(u))}
    erids = list(dict.fromkeys([*in_text, *on_links.values()]))
    away = [u for u in urls if _leads_away(u, own)]
    if on_links and own_url and not any(_leads_away(u, own) for u in on_links) and set(in_text) <= set(on_links.values()):
        return AdEvidence(None, tuple(erids), (), own_promotion=True)  # the page advertising itself
    checks = (
        ("" if not platform_flag else platform_reason),
        "erid token" if erids else "",
        "«Реклама» label with the advertiser" if RU_LABEL_ADVERTISER.search(text) else "",
        "«Реклама» label" if RU_LABEL.search(text) else "",
        "«Рекламодатель»" if RU_ADVERTISER.search(text) else "",
        "«на правах рекламы»" if RU_ON_AD_TERMS.search(text) else "",
        "«Реклама» with the advertiser's ИНН" if RU_TAX_NUMBER.search(text) and "реклам" in text.lower() else "",
        f"#{m.group(1).lower()}" if (m := HASHTAGS.search(text)) else "",
        "«reklama» label" if CZ_LABEL.search(text) else "",
        f"«{m.group(1).lower()}»" if (m := CZ_PAID.search(text)) else "",
    )
    marker = next((c for c in checks if c), None)
    return AdEvidence(marker, tuple(erids), tuple(dict.fromkeys(away)) if marker else ())

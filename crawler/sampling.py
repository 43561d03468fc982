"""What every spider with audiences shares: audience sampling up to ``--audience-limit``, and notes
for the end-of-crawl summary.

Audience members leave the spiders as ``AudienceMember`` items with the platform's raw id, which
``pipelines.HashMemberPipeline`` hashes before anything is stored. Only counts go into the resumable
spider state; the distinct ids seen are kept in memory as Python hashes for de-duplication.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from crawler.items import AudienceMember

AUDIENCE_LIMIT = 1000
#: Stats keys under this prefix are printed as ``<rest>: <value>`` lines in the crawl summary.
SUMMARY_PREFIX = "pagescout/summary/"


def known_fields(cls, values: dict) -> dict:
    """The entries of ``values`` that are fields of the dataclass ``cls`` (optional fields added later)."""
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in values.items() if k in names}


class AudienceSampler:
    """Mixin for a PlatformSpider: ``member()`` returns an item while the (account, kind) has room."""

    audience_limit: int = AUDIENCE_LIMIT

    def _taken(self) -> dict:
        return self.state.setdefault("audience_taken", {})

    def audience_room(self, account: str, kind: str) -> int:
        return max(0, self.audience_limit - self._taken().get(f"{account}\t{kind}", 0))

    def member(self, account: str, kind: str, member_id, **signals) -> AudienceMember | None:
        """``member_id`` is the platform's raw id, a string or an integer the spider has checked; anything
        else (a list, a bool) would be stored as its ``repr``, so it is refused here as a last guard."""
        if isinstance(member_id, bool) or not isinstance(member_id, (str, int)) or member_id == "":
            return None
        if self.audience_room(account, kind) <= 0:
            return None
        if not hasattr(self, "_members_seen"):
            self._members_seen = defaultdict(set)
        seen = self._members_seen[(account, kind)]
        marker = hash(str(member_id))
        if marker in seen:
            return None
        seen.add(marker)
        key = f"{account}\t{kind}"
        self._taken()[key] = self._taken().get(key, 0) + 1
        return AudienceMember(self.platform, account, kind, member_id=str(member_id),
                              **known_fields(AudienceMember, signals))

    def later_page_failed(self, code: str) -> None:
        """A later page (posts page 2+, an older cursor or offset) of an account already stored failed.

        Only the first request for an account may mark it unavailable: here the failure is counted
        (``pagescout/errors/<code>``), paging that account stops, and what was stored stays.
        """
        stats = self.crawler.stats
        stats.inc_value(f"pagescout/errors/{code}")
        stats.inc_value(f"pagescout/{self.platform}/later_page_failed")

    def note(self, what: str, value) -> None:
        """A line for the end-of-crawl summary: ``<what>: <value>``."""
        self.crawler.stats.set_value(f"{SUMMARY_PREFIX}{what}", value)

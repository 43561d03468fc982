"""Focused crawling: which account to fetch next when the request budget cannot cover them all.

A breadth-first crawler spends its budget on whatever is near the seeds; a focused one keeps a
frontier of candidates ordered by how relevant each promises to be, and fetches the most promising
first (Chakrabarti, van den Berg & Dom, "Focused crawling", 1999). The promise of a candidate is
predicted from what revealed it, before it is fetched:

    predicted(c) = max over revealers r of [ α · match(context(r → c)) + (1 − α) · relevance(r) ]

where ``context`` is the text around the link (the post that mentions or forwards it, or the candidate's
own name and description where a listing shows them), ``relevance(r)`` is the match of the revealing
account's own texts once fetched, and α = 0.6. ``match`` is :func:`keyword_match`. Among candidates
of like promise, the one more fetched pages link to goes first (backlink ordering, Cho, Garcia-Molina
& Page, "Efficient crawling through URL ordering", 1998), and the one with the larger audience where a
listing shows it (opinion leaders are what the search is for):

    priority(c) = predicted(c) · (1 + ln(1 + revealers(c))) · (1 + log10(1 + followers(c)))

with the last factor 1 where the followers are not shown.
"""

from __future__ import annotations

import heapq
import math
import re
from itertools import count

from itemadapter import ItemAdapter

CONTEXT_WEIGHT = 0.6
_WORD = re.compile(r"\w+", re.UNICODE)


def trigrams(word: str) -> frozenset[str]:
    padded = f" {word.lower()} "
    return frozenset(padded[i:i + 3] for i in range(len(padded) - 2))


def keyword_match(text: str | None, keywords: list[str], negative: list[str] = ()) -> float:
    """How well ``text`` matches the brief's keywords, 0–1.

    For each keyword k, ``m(k)`` is the best Jaccard similarity of character-trigram sets between k
    and any run of as many consecutive words of the text (so "тренировки" matches "тренировка" at
    0.58 and "fitness" matches "fitness" at 1). The match is the mean of the three best ``m(k)``,
    minus half the best match of a negative keyword, clipped to [0, 1]. Character trigrams keep it
    independent of language and tolerant of inflection.
    """
    if not text or not keywords:
        return 0.0
    words = _WORD.findall(text.lower())[:2000]
    if not words:
        return 0.0

    def best(keyword: str) -> float:
        parts = _WORD.findall(keyword.lower())
        if not parts:
            return 0.0
        target = trigrams(" ".join(parts))
        size = len(parts)
        top = 0.0
        for i in range(len(words) - size + 1):
            grams = trigrams(" ".join(words[i:i + size]))
            score = len(target & grams) / len(target | grams)
            if score > top:
                top = score
                if top == 1.0:
                    break
        return top

    matches = sorted((best(k) for k in keywords), reverse=True)[:3]
    penalty = max((best(k) for k in negative), default=0.0)
    return max(0.0, min(1.0, sum(matches) / len(matches) - 0.5 * penalty))


class Frontier:
    """Candidates waiting to be fetched, best first; a candidate found again keeps its best priority.

    ``mode="focused"`` orders by predicted relevance; ``mode="bfs"`` by hops from the seeds, then by
    discovery order (the baseline the benchmark compares with). Its state is a plain dict, so it lives
    in the spider's resumable state.
    """

    def __init__(self, state: dict, mode: str = "focused"):
        self.mode = mode
        # handle -> [priority, hop, seq, best promise, revealers, followers or None]
        self.waiting: dict[str, list] = state.setdefault("frontier", {})
        self.taken: set[str] = state.setdefault("frontier_taken", set())
        self._seq = count(state.get("frontier_seq", 0))
        self.state = state

    def offer(self, handle: str, hop: int, promise: float, followers: int | None = None) -> None:
        if handle in self.taken:
            return
        current = self.waiting.get(handle)
        if current is None:
            seq = next(self._seq)
            self.state["frontier_seq"] = seq + 1
            current = self.waiting[handle] = [0.0, hop, seq, promise, 0, None]
        current[1] = min(hop, current[1])
        current[3] = max(promise, current[3])
        current[4] += 1
        if followers is not None:
            current[5] = max(followers, current[5] or 0)
        if self.mode == "focused":
            size = 1 + math.log10(1 + current[5]) if current[5] else 1
            current[0] = current[3] * (1 + math.log1p(current[4])) * size
        else:
            current[0] = -current[1]

    def take(self, n: int) -> list[tuple[str, int]]:
        best = heapq.nlargest(n, self.waiting.items(), key=lambda item: (item[1][0], -item[1][2]))
        out = []
        for handle, (_, hop, *_) in best:
            del self.waiting[handle]
            self.taken.add(handle)
            out.append((handle, hop))
        return out

    def mark_taken(self, handle: str) -> None:
        self.taken.add(handle)
        self.waiting.pop(handle, None)

    def __len__(self) -> int:
        return len(self.waiting)


class Focus:
    """The brief's keywords, ready to match texts (see :func:`keyword_match`)."""

    def __init__(self, keywords: list[str], negative_keywords: list[str] = ()):
        self.keywords = list(keywords)
        self.negative_keywords = list(negative_keywords)

    def match(self, text: str | None) -> float:
        return keyword_match(text, self.keywords, self.negative_keywords)


#: An account counts as relevant for the progress line from this match on.
RELEVANT = 0.35


class FocusMiddleware:
    """Spider middleware: scores each account from its own items as they leave the spider.

    An account's relevance is the keyword match of its name, description and the posts collected so
    far; the spider reads it when predicting the promise of the accounts this one links to. Items pass
    through unchanged.
    """

    POSTS_SCORED = 20

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_spider_output(self, response, result, spider=None):
        for item in result:
            self._see(item)
            yield item

    async def process_spider_output_async(self, response, result, spider=None):
        async for item in result:
            self._see(item)
            yield item

    def _see(self, item) -> None:
        spider = self.crawler.spider
        if spider is None or getattr(spider, "focus", None) is None:
            return
        kind = type(item).__name__
        if kind not in ("Account", "Post"):
            return
        adapter = ItemAdapter(item)
        handle = adapter.get("handle") if kind == "Account" else adapter.get("account")
        texts = spider.state.setdefault("focus_texts", {})
        parts = texts.setdefault(handle, [])
        if kind == "Account":
            parts[:0] = [t for t in (adapter.get("name"), adapter.get("description")) if t]
        elif len(parts) < self.POSTS_SCORED + 2 and adapter.get("text"):
            parts.append(adapter["text"])
        relevance = spider.state.setdefault("relevance", {})
        was_relevant = relevance.get(handle, 0.0) >= RELEVANT
        relevance[handle] = spider.focus.match("\n".join(parts))
        if relevance[handle] >= RELEVANT and not was_relevant:
            self.crawler.stats.inc_value("pagescout/discover/relevant")

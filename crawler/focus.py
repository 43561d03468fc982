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

import numpy as np
from itemadapter import ItemAdapter
from scipy import sparse

CONTEXT_WEIGHT = 0.6
#: Characters of a text the keyword match reads: the start of a context, or of an account's name,
#: description and posts, says what it is about, and bounds the time of one match (see :class:`Focus`).
MATCH_CHARS = 5_000
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
    independent of language and tolerant of inflection. Only the first ``MATCH_CHARS`` (5,000)
    characters of the text are read.

    Builds the keywords' trigrams for this one call: to match many texts, make a :class:`Focus` once.
    """
    return Focus(keywords, negative).match(text)


class _Keywords:
    """Keywords as the rows of a keyword × trigram 0/1 matrix, built once and reused by every match."""

    def __init__(self, keywords: list[str]):
        self.vocabulary: dict[str, int] = {}
        rows, columns, sizes, grams = [], [], [], []
        for row, keyword in enumerate(keywords):
            parts = _WORD.findall(keyword.lower())
            target = trigrams(" ".join(parts)) if parts else frozenset()
            sizes.append(len(parts))
            grams.append(len(target))
            for gram in target:
                rows.append(row)
                columns.append(self.vocabulary.setdefault(gram, len(self.vocabulary)))
        matrix = sparse.csr_array((np.ones(len(rows)), (rows, columns)), shape=(len(keywords), len(self.vocabulary)))
        self.count = len(keywords)
        self.sizes = np.array(sizes, dtype=np.int64)
        self.grams = np.array(grams, dtype=np.float64)
        # words per keyword → (its rows, their matrix rows): runs of the text are compared a length at a time
        self.by_size = {}
        for size in sorted(set(sizes) - {0}):
            picked = np.flatnonzero(self.sizes == size)
            self.by_size[size] = (picked, matrix[picked])


class Focus:
    """The brief's keywords, ready to match texts (:func:`keyword_match`, computed exactly, in bounded time).

    A keyword of ``s`` words is compared with every run of ``s`` words of the text. The trigrams of a run
    are those of its words (each padded with spaces) and the one across each gap between them (last
    letter, space, first letter), so each trigram occurrence of the text lies in a known range of runs.
    Per length ``s``: ``|run|`` (distinct trigrams of each run) and ``|keyword ∩ run|`` for every keyword at
    once are sums over those ranges (a difference array, then a cumulative sum; a sparse keyword ×
    trigram product for the intersections), and ``m(k) = max over runs of |k ∩ run| / (|k| + |run| −
    |k ∩ run|)``.

    The keywords' trigrams are built once, here. A match reads at most ``MATCH_CHARS`` characters
    (at most 2,500 words, and about as many trigram occurrences as characters), so it costs
    O(occurrences × distinct keyword lengths + keywords × runs) whatever the brief and the text. With
    the largest brief allowed (``sheets.brief``: 500 keywords and 500 negative ones of 100 characters)
    a match of a 50,000-character text takes about 0.05 s for prose and 0.3 s for the worst text
    (one-letter words, keywords of every length up to 50 words), where comparing run by run took 55 s
    and 35 s; a few milliseconds for a few keywords or a short context.
    """

    def __init__(self, keywords: list[str], negative_keywords: list[str] = ()):
        self.keywords = list(keywords)
        self.negative_keywords = list(negative_keywords)
        self._all = _Keywords(self.keywords + self.negative_keywords)

    def match(self, text: str | None) -> float:
        if not text or not self.keywords:
            return 0.0
        words = _WORD.findall(text[:MATCH_CHARS].lower())
        if not words:
            return 0.0
        scores = self._scores(words)
        positive, negative = scores[: len(self.keywords)], scores[len(self.keywords):]
        matches = sorted(positive.tolist(), reverse=True)[:3]
        penalty = max(negative.tolist(), default=0.0)
        return max(0.0, min(1.0, sum(matches) / len(matches) - 0.5 * penalty))

    def _scores(self, words: list[str]) -> np.ndarray:
        """``m(k)`` of every keyword (positive, then negative) against the words of one text."""
        keywords = self._all
        scores = np.zeros(keywords.count)
        # Every trigram occurrence: the text's own id for it, the keywords' id (−1: no keyword has it),
        # the first word it lies in, and 0 (within a word) or 1 (across the gap to the next word).
        own: dict[str, int] = {}
        text_ids, keyword_ids, first, span = [], [], [], []

        def occurs(gram: str, word: int, across: int) -> None:
            text_ids.append(own.setdefault(gram, len(own)))
            keyword_ids.append(keywords.vocabulary.get(gram, -1))
            first.append(word)
            span.append(across)

        for j, word in enumerate(words):
            padded = f" {word} "
            for i in range(len(padded) - 2):
                occurs(padded[i:i + 3], j, 0)
            if j + 1 < len(words):
                occurs(f"{word[-1]} {words[j + 1][0]}", j, 1)
        text_ids, keyword_ids = np.array(text_ids), np.array(keyword_ids)
        first, span = np.array(first), np.array(span)
        # Occurrences of one trigram in word order: a run already counted for the previous one is not
        # counted again, so the ranges below are disjoint per trigram and sum to distinct counts.
        order = np.lexsort((first, text_ids))
        text_ids, keyword_ids, first, span = text_ids[order], keyword_ids[order], first[order], span[order]
        previous = np.full(len(first), -1)
        same = text_ids[1:] == text_ids[:-1]
        previous[1:][same] = first[:-1][same]
        known = keyword_ids >= 0
        for size, (rows, matrix) in keywords.by_size.items():
            runs = len(words) - size + 1
            if runs < 1:
                continue
            # the runs i..i+size-1 holding an occurrence that spans words first..first+span
            start = np.maximum(np.maximum(first + span - size + 1, previous + 1), 0)
            end = np.minimum(first, runs - 1)
            inside = start <= end
            run_grams = np.cumsum(np.bincount(start[inside], minlength=runs + 1)
                                  - np.bincount(end[inside] + 1, minlength=runs + 1))[:runs]
            hit = inside & known
            changes = sparse.csr_array(
                (np.concatenate([np.ones(hit.sum()), -np.ones(hit.sum())]),
                 (np.concatenate([keyword_ids[hit], keyword_ids[hit]]), np.concatenate([start[hit], end[hit] + 1]))),
                shape=(matrix.shape[1], runs + 1))
            common = np.cumsum((matrix @ changes).toarray(), axis=1)[:, :runs]
            union = keywords.grams[rows][:, None] + run_grams[None, :] - common
            scores[rows] = (common / union).max(axis=1)
        return scores


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
        # The match reads MATCH_CHARS characters: more of an account's text, kept in its resumable state,
        # would change nothing.
        if kind == "Account":
            parts[:0] = [t[:MATCH_CHARS] for t in (adapter.get("name"), adapter.get("description"))
                         if isinstance(t, str) and t]
        elif (len(parts) < self.POSTS_SCORED + 2 and isinstance(adapter.get("text"), str) and adapter["text"]
              and sum(len(part) for part in parts) < MATCH_CHARS):
            parts.append(adapter["text"][:MATCH_CHARS])
        elif handle in spider.state.get("relevance", {}):
            return
        relevance = spider.state.setdefault("relevance", {})
        was_relevant = relevance.get(handle, 0.0) >= RELEVANT
        relevance[handle] = spider.focus.match("\n".join(parts))
        if relevance[handle] >= RELEVANT and not was_relevant:
            self.crawler.stats.inc_value("pagescout/discover/relevant")

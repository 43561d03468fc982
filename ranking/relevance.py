"""How close each account's texts are to the brief, and which language they are written in. Pure functions.

Inputs are the store's frames: ``accounts`` (platform, handle, name, description, …) and ``posts``
(platform, account, post_id, published_at, text, …). An account's *document* is its name, its
description and the text of its ``max_posts`` most recent posts, joined.

Relevance compares documents with the brief through TF-IDF over character n-grams: words of the same
stem share most of their 3–5 letter pieces whatever their ending, so "тренировка" matches
"тренировки", and "běhání" matches "běh", with no stemmer or dictionary per language.

References: Salton & Buckley (1988), "Term-weighting approaches in automatic text retrieval" (TF-IDF and
the cosine); McNamee & Mayfield (2004), "Character N-Gram Tokenization for European Language Text
Retrieval" (n-grams in place of stemming); Cavnar & Trenkle (1994), "N-Gram-Based Text Categorization"
(language profiles).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

KEY = ["platform", "handle"]
#: Posts per account that go into its document, newest first.
MAX_POSTS = 50
#: Characters per document at most (name and description first, then posts, newest first): bounds the
#: TF-IDF's time on pages with long posts, and is plenty to judge a topic or a language.
MAX_CHARS = 20_000
#: Characters of a document that language detection reads.
DETECT_CHARS = 3_000


def char_vectorizer():
    """The TF-IDF every text comparison here uses: word-bounded character 3–5-grams, ``1 + log(tf)``."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # here: scikit-learn takes a second to import

    return TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=True)


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def account_texts(accounts: pd.DataFrame, posts: pd.DataFrame, max_posts: int = MAX_POSTS,
                  max_chars: int = MAX_CHARS) -> pd.Series:
    """Each account's document: name, description and its ``max_posts`` newest post texts, one per line,
    cut at ``max_chars`` characters.

    Indexed by (platform, handle) in the order of ``accounts``; ``''`` where the account has no text at
    all. ``posts`` without a ``text`` column (or ``None``) contributes nothing.
    """
    index = pd.MultiIndex.from_frame(accounts[KEY].astype(str))
    own = [
        "\n".join(t for t in (_text(n), _text(d)) if t)
        for n, d in zip(accounts.get("name", pd.Series(None, index=accounts.index)),
                        accounts.get("description", pd.Series(None, index=accounts.index)))
    ]
    out = pd.Series(own, index=index, dtype=object)
    if posts is not None and "text" in posts.columns and not posts.empty:
        recent = posts[posts["text"].map(lambda t: isinstance(t, str) and t.strip() != "")]
        if "published_at" in recent.columns:
            recent = recent.sort_values("published_at", ascending=False, na_position="last", kind="stable")
        recent = recent.groupby([recent["platform"].astype(str), recent["account"].astype(str)], sort=False).head(
            max_posts)
        joined = recent.groupby([recent["platform"].astype(str), recent["account"].astype(str)])["text"].agg(
            "\n".join)
        joined.index = joined.index.set_names(KEY)
        extra = joined.reindex(index).fillna("")
        out = pd.Series([f"{a}\n{b}".strip() for a, b in zip(out, extra)], index=index, dtype=object)
    return out.str.slice(0, max_chars) if max_chars else out


def cosine_to(queries: Sequence[str], documents: Sequence[str]) -> np.ndarray:
    r"""Cosine similarity of every query with every document, as TF-IDF over character n-grams.

    The TF-IDF (:func:`char_vectorizer`) is fitted on queries and documents together. Its rows are
    L2-normalised, so the cosine is their dot product:

    .. math::

        \cos(q, d) = \frac{\vec q \cdot \vec d}{\lVert \vec q \rVert\, \lVert \vec d \rVert}

    0 for a blank text, which has no n-gram.

    Parameters
    ----------
    queries, documents : sequence of str
        The texts to compare.

    Returns
    -------
    ndarray
        float, queries × documents.

    Examples
    --------
    >>> cosine_to(["тренировка", "суп"], ["Тренировки дома", "Рецепты супов", ""]).round(2)
    array([[0.58, 0.  , 0.  ],
           [0.  , 0.16, 0.  ]])

    References
    ----------
    .. [1] Salton, G., Buckley, C. (1988). Term-weighting approaches in automatic text retrieval.
       Information Processing & Management 24(5), 513–523.
    """
    vectorizer = char_vectorizer()
    try:
        matrix = vectorizer.fit_transform([*queries, *documents])
    except ValueError:  # nothing but blanks: no n-gram at all
        return np.zeros((len(queries), len(documents)))
    q, d = matrix[: len(queries)], matrix[len(queries):]
    return (q @ d.T).toarray()


def relevance(accounts: pd.DataFrame, posts: pd.DataFrame, keywords: Iterable[str] = (),
              negative_keywords: Iterable[str] = (), seeds: Iterable[tuple[str, str]] = (),
              max_posts: int = MAX_POSTS) -> pd.Series:
    r"""Relevance of each account to the brief, 0–1, indexed by (platform, handle).

    With ``d`` an account's document (:func:`account_texts`), ``K`` the keywords joined, ``S`` the
    documents of the seed accounts (``seeds``: (platform, handle) pairs of ``accounts``) joined and ``N``
    the negative keywords joined, all as TF-IDF vectors over character 3–5-grams (:func:`char_vectorizer`,
    fitted on the documents and the queries together):

    .. math::

        \mathrm{raw}(d) = \max\Bigl(0,\ \operatorname{mean}_{Q \in \{K, S\}} \frac{\cos(Q, d)}{M_Q}
        - \frac{\cos(N, d)}{M_K}\Bigr), \qquad M_Q = \max_{d'} \cos(Q, d')

    over whichever of ``K`` and ``S`` is given (``M_S`` stands in for ``M_K`` without keywords). Each
    query is scaled to its best match, so a long seed text and a few keywords weigh the same (a seed
    text shares many common n-grams with any text of its language, a keyword list few). Negative
    keywords are measured on the keywords' scale (both are short word lists) and subtract in full: a
    page as close to the unwanted topic as to the wanted one scores 0. The result is relative to the
    call: ``relevance = raw / max raw`` over the accounts given, so the best match scores 1 and a page
    sharing nothing with the brief 0 (all 0 when no page matches at all). Compare relevance within one
    ranking, not across runs with different pages.

    NaN for an account without any text (nothing to judge), and for every account when neither keywords
    nor seeds are given.

    Parameters
    ----------
    accounts, posts : DataFrame
        The store's frames (accounts: platform, handle, name, description; posts: platform, account,
        published_at, text).
    keywords, negative_keywords : iterable of str
        The brief's keywords and negative keywords, any language, any word form.
    seeds : iterable of (platform, handle)
        Accounts whose own texts describe the topic too (a brief's targets).
    max_posts : int
        Newest posts per account that enter its document.

    Returns
    -------
    Series
        float 0–1 indexed by (platform, handle), in the order of ``accounts``.

    Examples
    --------
    >>> accounts = pd.DataFrame({"platform": "telegram", "handle": ["fit", "cook"],
    ...                          "name": ["Тренировки дома", "Рецепты супов"], "description": None})
    >>> relevance(accounts, None, ["тренировка"]).round(2).tolist()
    [1.0, 0.0]

    References
    ----------
    .. [1] Salton, G., Buckley, C. (1988). Term-weighting approaches in automatic text retrieval.
       Information Processing & Management 24(5), 513–523.
    .. [2] McNamee, P., Mayfield, J. (2004). Character N-Gram Tokenization for European Language Text
       Retrieval. Information Retrieval 7, 73–97.
    """
    texts = account_texts(accounts, posts, max_posts)
    keywords = [k.strip() for k in keywords if k and k.strip()]
    negative = [k.strip() for k in negative_keywords if k and k.strip()]
    seed_keys = [(str(p), str(h)) for p, h in seeds]
    seed_text = "\n".join(texts.get(key, "") for key in seed_keys if key in texts.index).strip()
    queries = ([" ".join(keywords)] if keywords else []) + ([seed_text] if seed_text else [])
    out = pd.Series(np.nan, index=texts.index, dtype="float64")
    has_text = texts.str.strip().ne("").to_numpy()
    if not queries or not has_text.any():
        return out
    docs = texts[has_text].tolist()
    sims = cosine_to(queries + ([" ".join(negative)] if negative else []), docs)
    best = sims[: len(queries)].max(axis=1, keepdims=True)
    scaled = np.divide(sims[: len(queries)], best, out=np.zeros_like(sims[: len(queries)]), where=best > 0)
    positive = scaled.mean(axis=0)
    penalty = sims[len(queries)] / best[0, 0] if negative and best[0, 0] > 0 else 0.0
    raw = np.clip(positive - penalty, 0.0, None)
    top = raw.max()
    out[has_text] = raw / top if top > 0 else 0.0
    return out


# language ------------------------------------------------------------------------------------------
#: Letters (or marks) that, among the languages below, only this language writes.
MARKERS: dict[str, str] = {
    "ru": "ыэъё",
    "uk": "іїєґ",
    "cs": "ěřůťďňčšž",
    "de": "äöüß",
    "es": "ñ¿¡",
    "fr": "çœèêàùâîôûëï",
    "en": "",
}
#: The most frequent short words of each language (function words), after Cavnar & Trenkle's profiles.
WORDS: dict[str, frozenset[str]] = {
    "ru": frozenset("и в не на я что он с как а то все она так его но да ты к у же вы за бы по только ее мне "
                    "было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был "
                    "него до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть надо "
                    "ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж тогда кто "
                    "этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы нее сейчас "
                    "были куда зачем всех никогда можно при наконец два об другой хоть после над больше тот "
                    "через эти нас про всего них какая много разве три эту моя впрочем хорошо свою этой перед "
                    "иногда лучше чуть том нельзя такой им более всегда конечно всю между это".split()),
    "uk": frozenset("і й та в у на не що я з як це до за від він вона воно вони ми ви його її їх але або чи "
                    "також тому коли якщо вже ще тільки лише дуже може можна треба є був була було були буде "
                    "щоб через після під над про для без між усі всі свій своє наш ваш цей ця ці той яка який "
                    "які де тут там теж навіть ніж бо адже щодо".split()),
    "en": frozenset("the be to of and a in that have i it for not on with he as you do at this but his by "
                    "from they we say her she or an will my one all would there their what so up out if about "
                    "who get which go me when make can like time no just him know take people into year your "
                    "good some could them see other than then now look only come its over think also back "
                    "after use two how our work first well way even new want because any these give day most "
                    "us is are was were has had been".split()),
    "cs": frozenset("a je se na v že to s z do o jsem jsme jste jsou jak ale pro by si už tak ve od když jako "
                    "které který která co být není podle jen také nebo než ani tento tato toto jeho její jejich "
                    "před při po za tady tam kde proto protože mezi bez více však aby i k u ze můžete".split()),
    "de": frozenset("der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als auch es "
                    "an werden aus er hat dass sie nach wird bei einer um am sind noch wie einem über einen so "
                    "zum war haben nur oder aber vor zur bis mehr durch man sein wurde sei ich wir ihr du "
                    "schon wenn kann".split()),
    "es": frozenset("de la que el en y a los se del las un por con no una su para es al lo como más o pero "
                    "sus le ya fue este ha sí porque esta son entre cuando muy sin sobre también me hasta hay "
                    "donde quien desde todo nos durante todos uno les ni contra otros ese eso ante ellos e esto "
                    "mí antes algunos qué unos yo otro otras otra él tanto esa estos mucho".split()),
    "fr": frozenset("le la les de des et est un une du en que qui pas pour dans ce il ne sur au avec se plus "
                    "par je son sa ses mais ou tout nous vous ils elle on été être avoir fait comme aux cette "
                    "leur leurs sont très aussi bien y même peu été sans entre dont où chez".split()),
}
LANGUAGES = tuple(WORDS)
_CYRILLIC = ("ru", "uk")
_LATIN = ("en", "cs", "de", "es", "fr")
_WORD = re.compile(r"[^\W\d_]+")
#: A letter that marks its language counts as much as this many function words.
MARKER_WEIGHT = 2.0
#: Least evidence (function words + weighted markers) to name a language at all.
MIN_EVIDENCE = 2.0
#: The best language must beat the runner-up by this factor, else the text is ambiguous.
MARGIN = 1.5


def detect_language(text: str) -> str:
    r"""ISO 639-1 code of the text's language among ru, uk, en, cs, de, es, fr; ``''`` when unsure.

    Reads the first 3,000 characters. First the script: a text mostly in Cyrillic letters is ru or uk,
    mostly in Latin letters en, cs, de, es or fr, anything else ``''``. Then, for each candidate
    language ℓ, evidence = the number of its function words in the text (:data:`WORDS`) + 2 × the
    number of letters only it writes (:data:`MARKERS`):

    .. math::

        E(\ell) = \sum_{w \in \mathrm{words}} [\,w \in \mathrm{WORDS}_\ell\,]
        + 2 \sum_{c \in \mathrm{letters}} [\,c \in \mathrm{MARKERS}_\ell\,]

    The best candidate ℓ* wins when ``E(ℓ*) ≥ 2`` and ``E(ℓ*) ≥ 1.5 · E(runner-up)``; otherwise (short,
    mixed or unknown text) the answer is ``''``. English has no markers: it wins on words.

    Parameters
    ----------
    text : str
        Any text; not a string, or blank, gives ``''``.

    Returns
    -------
    str
        ``'ru'``, ``'uk'``, ``'en'``, ``'cs'``, ``'de'``, ``'es'``, ``'fr'`` or ``''``.

    Examples
    --------
    >>> detect_language("Это канал о беге, и мы бегаем каждый день")
    'ru'
    >>> detect_language("Це канал про біг, і ми бігаємо щодня")
    'uk'
    >>> detect_language("Běhání je pro každého a je to zábava")
    'cs'
    >>> detect_language("ok")  # no evidence either way
    ''

    References
    ----------
    .. [1] Cavnar, W. B., Trenkle, J. M. (1994). N-Gram-Based Text Categorization. SDAIR-94, 161–175.
    .. [2] Grefenstette, G. (1995). Comparing two language identification schemes. JADT 1995
       (short-word versus trigram profiles).
    """
    if not isinstance(text, str) or not text.strip():
        return ""
    lowered = text[:DETECT_CHARS].lower()
    words = Counter(_WORD.findall(lowered))
    letters = Counter({ch: n for ch, n in Counter(lowered).items() if ch.isalpha()})
    total = sum(letters.values())
    if not total:
        return ""
    cyrillic = sum(n for ch, n in letters.items() if "\u0400" <= ch <= "\u04ff")
    latin = sum(n for ch, n in letters.items() if ch.isascii() or "\u00c0" <= ch <= "\u024f")
    if cyrillic > 0.5 * total:
        candidates = _CYRILLIC
    elif latin > 0.5 * total:
        candidates = _LATIN
    else:
        return ""
    evidence = {}
    for lang in candidates:
        hits = sum(n for w, n in words.items() if w in WORDS[lang])
        marks = sum(letters[ch] for ch in MARKERS[lang])
        evidence[lang] = hits + MARKER_WEIGHT * marks
    ranked = sorted(evidence.items(), key=lambda kv: kv[1], reverse=True)
    best, score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if score < MIN_EVIDENCE or score < MARGIN * runner_up:
        return ""
    return best


def languages(accounts: pd.DataFrame, posts: pd.DataFrame, max_posts: int = MAX_POSTS) -> pd.Series:
    """:func:`detect_language` of each account's document (:func:`account_texts`), indexed by (platform, handle)."""
    texts = account_texts(accounts, posts, max_posts)
    return texts.map(detect_language).astype(object)

"""Relevance to a brief (character n-gram TF-IDF) and language detection, on tiny Russian, Czech and English texts."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ranking.relevance import account_texts, detect_language, languages, relevance


def frames(profiles: dict[str, tuple[str, list[str]]], platform: str = "telegram"):
    accounts = pd.DataFrame({
        "platform": platform, "handle": list(profiles), "name": [p[0] for p in profiles.values()],
        "description": None, "status": "ok",
    })
    rows = [(platform, h, str(i), pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(days=i), text)
            for h, (_, texts) in profiles.items() for i, text in enumerate(texts)]
    posts = pd.DataFrame(rows, columns=["platform", "account", "post_id", "published_at", "text"])
    return accounts, posts


RUSSIAN = {
    "fit": ("Спорт каждый день", ["Тренировки для начинающих: бег и йога", "Утренние тренировки дома"]),
    "cook": ("Вкусно и просто", ["Рецепт борща и пирогов", "Как испечь хлеб дома"]),
}
CZECH = {
    "beh": ("Pražský běh", ["Běh v parku každé ráno", "Trénink na maraton"]),
    "vareni": ("Vaříme doma", ["Recept na svíčkovou", "Pečeme chleba s rodinou"]),
}


def test_russian_word_forms_match():
    accounts, posts = frames(RUSSIAN)
    rel = relevance(accounts, posts, ["тренировка"])  # the texts only say "тренировки"
    assert rel[("telegram", "fit")] == pytest.approx(1.0)  # the best match is 1 by construction
    assert rel[("telegram", "cook")] < 0.3


def test_czech_word_forms_match():
    accounts, posts = frames(CZECH)
    rel = relevance(accounts, posts, ["běhání"])  # the texts say "běh"
    assert rel[("telegram", "beh")] == pytest.approx(1.0)
    assert rel[("telegram", "vareni")] < 0.5


def test_english_and_seed_texts():
    accounts, posts = frames({
        "runner": ("Run club", ["Marathon training plans and running shoes"]),
        "gamer": ("Game night", ["Board games and video game reviews"]),
        "seed": ("Trail runs", ["Trail running and marathon tips"]),
    })
    assert relevance(accounts, posts, ["running"]).idxmax() == ("telegram", "runner")
    by_seed = relevance(accounts, posts, seeds=[("telegram", "seed")])
    assert by_seed[("telegram", "runner")] > by_seed[("telegram", "gamer")]


def test_negative_keywords_subtract():
    accounts, posts = frames({
        "fit": ("Фитнес", ["Тренировки и фитнес для всех"]),
        "casino": ("Фитнес и казино", ["Тренировки, ставки и казино онлайн"]),
    })
    plain = relevance(accounts, posts, ["фитнес", "тренировки"])
    assert plain[("telegram", "casino")] > 0.3
    negative = relevance(accounts, posts, ["фитнес", "тренировки"], negative_keywords=["казино", "ставки"])
    assert negative[("telegram", "fit")] == pytest.approx(1.0)
    assert negative[("telegram", "casino")] < plain[("telegram", "casino")]


def test_relevance_empty_without_query_or_text():
    accounts, posts = frames(RUSSIAN)
    assert relevance(accounts, posts, []).isna().all()
    accounts.loc[2] = ["telegram", "silent", None, None, "ok"]
    rel = relevance(accounts, posts, ["тренировка"])
    assert math.isnan(rel[("telegram", "silent")])
    assert rel.drop(("telegram", "silent")).between(0, 1).all()


def test_account_texts_take_the_newest_posts():
    accounts, posts = frames({"a": ("A", ["old", "middle", "new"])})
    assert account_texts(accounts, posts, max_posts=2)[("telegram", "a")] == "A\nnew\nmiddle"
    assert account_texts(accounts, posts.drop(columns="text"))[("telegram", "a")] == "A"


@pytest.mark.parametrize("text, language", [
    ("Ежедневные тренировки и советы по питанию для тех, кто бегает", "ru"),
    ("Щоденні тренування і поради щодо харчування", "uk"),
    ("Daily workouts and running tips for the whole family", "en"),
    ("Každý den běháme v parku a učíme se nové věci", "cs"),
    ("Tägliches Training und Tipps für Läufer", "de"),
    ("Entrenamientos diarios y consejos para el corredor", "es"),
    ("Entraînements quotidiens et conseils pour les coureurs", "fr"),
])
def test_language_of_short_samples(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["", "ok", "Привет", "東京タワー", "12345 !!!", None])
def test_language_unsure_is_empty(text):
    assert detect_language(text) == ""


def test_languages_per_account():
    accounts, posts = frames({**RUSSIAN, **CZECH})
    found = languages(accounts, posts)
    assert found[("telegram", "fit")] == "ru" and found[("telegram", "vareni")] == "cs"

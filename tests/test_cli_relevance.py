"""pagescout similar, and rank/export --brief, as a user meets them on a small store."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from conftest import invoke, one_line_error
from openpyxl import load_workbook

from crawler.store import Store


CHANNELS = {  # handle: (name, description, followers, posts)
    "fit": ("Фитнес СПб", "Тренировки и бег", 5000, ["Тренировка для спины", "Бег по утрам: тренировки"]),
    "yoga": ("Йога дома", "Йога и растяжка", 3000, ["Утренняя йога", "Тренировки с ковриком"]),
    "memes": ("Мемы", "Смешные картинки", 9000, ["Мем дня", "Ставки и казино"]),
    "tiny": ("Бегуны", "Бег и марафоны", 100, ["Тренировки к марафону", "Бег"]),
    "client": ("Клуб фитнеса", "Наш фитнес-клуб: тренировки", 2000, ["Тренировки в клубе"]),
}
AUDIENCES = {"client": range(1, 21), "fit": range(5, 25), "yoga": range(15, 30), "memes": range(100, 130)}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("relevance") / "relevance.db"
    day = datetime(2026, 10, 1, tzinfo=timezone.utc)
    with Store(str(path)) as store:
        store.write({
            "Account": [{"platform": "telegram", "handle": h, "name": n, "description": d, "followers": f,
                         "status": "ok", "url": f"https://t.me/{h}"} for h, (n, d, f, _) in CHANNELS.items()],
            "Post": [{"platform": "telegram", "account": h, "post_id": str(i), "published_at": day + timedelta(days=3 * i),
                      "views": f // 10 + i, "likes": 5 + i, "text": text}
                     for h, (_, _, f, texts) in CHANNELS.items() for i, text in enumerate(texts)],
            "Link": [{"platform": "telegram", "src": s, "dst": d, "kind": "mention", "post_id": "0"}
                     for s, d in [("yoga", "fit"), ("memes", "fit"), ("yoga", "client"), ("memes", "client"),
                                  ("fit", "yoga")]],
        })
        store.write_audience(("telegram", h, "follower", store.member_key(str(m)))
                             for h, members in AUDIENCES.items() for m in members)
    return str(path)


def brief(tmp_path, extra=""):
    path = tmp_path / "brief.toml"
    path.write_text('name = "Fitness"\nplatforms = ["telegram"]\nkeywords = ["тренировка", "бег"]\n'
                    'negative_keywords = ["казино"]\ntargets = ["telegram:client"]\n'
                    f'[seeds]\ntelegram = ["client"]\n{extra}', encoding="utf-8")
    return path


# similar ------------------------------------------------------------------------------------------
def test_similar_lists_lookalikes_with_the_matching_signal(db):
    result = invoke("similar", "telegram:client", "--db", db)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["rank", "platform", "handle"]
    assert lines[1].split()[:3] == ["1", "telegram", "fit"]  # most shared audience, same citers, same words
    assert "audience" in lines[1] and "cocitation" in lines[1]


def test_similar_writes_xlsx_with_explanations(db, tmp_path):
    out = tmp_path / "lookalikes.xlsx"
    result = invoke("similar", "telegram:@Client", "--top", "2", "--out", out, "--db", db)
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    rows = list(wb.active.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 2
    explained = {r[0]: r[1] for r in wb["Metrics"].iter_rows(min_row=2, values_only=True)}
    assert "Jaccard" in explained["cocitation"] or "|C∩D|" in explained["cocitation"]


@pytest.mark.parametrize("account, words", [("telegram:nobody", ["unknown account", "telegram:nobody"]),
                                            ("client", ["platform:handle"]),
                                            ("vk:client", ["no accounts of 'vk'", "telegram"]), ("myspace:x", ["unknown platform"])])
def test_similar_unknown_account_is_one_line(db, account, words):
    one_line_error(invoke("similar", account, "--db", db), *words)


def test_similar_bad_out_extension(db, tmp_path):
    one_line_error(invoke("similar", "telegram:fit", "--out", tmp_path / "x.docx", "--db", db), ".xlsx")


# rank / export --brief ----------------------------------------------------------------------------
def test_export_with_brief_ranks_by_relevance_and_filters(db, tmp_path):
    out = tmp_path / "shortlist.json"
    result = invoke("export", out, "--brief", brief(tmp_path, "[filters]\nmin_followers = 1000\n"), "--db", db)
    assert result.exit_code == 0, result.output
    rows = {r["handle"]: r for r in json.loads(out.read_text(encoding="utf-8"))}
    assert "client" not in rows  # a target is never suggested
    assert "tiny" not in rows  # below min_followers
    # 1 = the best match among all the pages considered, here tiny (filtered out afterwards)
    assert rows["memes"]["relevance"] < rows["yoga"]["relevance"] < rows["fit"]["relevance"] < 1
    assert rows["fit"]["rank"] == 1 and "relevance" in rows["fit"]["why"]
    assert rows["fit"]["language"] == "ru"
    assert rows["fit"]["affinity"] is not None  # the target's audience is stored: affinity counts


def test_rank_with_brief_weights(db, tmp_path):
    result = invoke("rank", "--brief", brief(tmp_path, "[weights]\nrelevance = 0\nreach = 1\n"), "--format", "json",
                    "--db", db)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data[0]["handle"] == "memes"  # relevance weighs nothing, reach everything


def test_rank_without_brief_leaves_relevance_empty(db):
    data = json.loads(invoke("rank", "--format", "json", "--db", db).output)
    assert all(r["relevance"] is None for r in data)
    assert {r["handle"] for r in data} == set(CHANNELS)
    assert all(r["pagerank"] is not None for r in data)


def test_broken_brief_is_one_line(db, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nkeywords = "not a list"\n', encoding="utf-8")
    one_line_error(invoke("export", tmp_path / "x.csv", "--brief", bad, "--db", db), "bad.toml", "keywords")
    one_line_error(invoke("rank", "--brief", tmp_path / "none.toml", "--db", db), "none.toml")

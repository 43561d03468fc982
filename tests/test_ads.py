"""Ad posts: the detector on one case per marker and language and on every false alarm it must not raise,
ad markers placed into real t.me/s message markup, VK's marked_as_ads through a crawl against a local
stand-in, and the shortlist's ad columns, flag and filter computed by hand."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from apiserver import ApiServer
from conftest import html_response, make_spider, rows, run_cli, shared_dir
from crawler.ads import detect_ad
from crawler.sample_site import SampleTelegram
from crawler.spiders.telegram import TelegramSpider
from ranking.ads import AD_HEAVY, ad_metrics
from ranking.frames import Frames
from ranking.score import apply_filters
from ranking.shortlist import shortlist


# the detector: one case per marker ------------------------------------------------------------------------
@pytest.mark.parametrize("text, urls, marker", [
    ("Лучшие кроссовки сезона\nerid: 2VtzqwXyZ1aB", [], "erid token"),
    ("Лучшие кроссовки сезона", ["https://shop.example/sale?utm_source=tg&erid=2VtzqwXyZ1aB"], "erid token"),
    ("Скидка 20% по ссылке\n\nРеклама. ООО «Ромашка»", [], "«Реклама» label with the advertiser"),
    ("Курс по Python за месяц\nРеклама", [], "«Реклама» label"),
    ("Курс по Python за месяц\n📢 Реклама:", [], "«Реклама» label"),
    ("Рекламодатель: ИП Иванов И. И.", [], "«Рекламодатель»"),
    ("Материал публикуется на правах рекламы", [], "«на правах рекламы»"),
    ("Новый сервис доставки. ИНН 7701234567, реклама", [], "«Реклама» with the advertiser's ИНН"),
    ("Скидки до 50%!\n\n#реклама", [], "#реклама"),
    ("Try the new app #ad", [], "#ad"),
    ("Big news from our partner #Sponsored", [], "#sponsored"),
    ("Только сегодня #промо", [], "#промо"),
    ("Nové boty na jaro\nReklama", [], "«reklama» label"),
    ("Děkujeme značce X — placená spolupráce", [], "«placená spolupráce»"),
    ("Obchodní sdělení? Ne: komerční sdělení", [], "«komerční sdělení»"),
])
def test_each_marker_fires(text, urls, marker):
    found = detect_ad(text, urls, "https://t.me/mychannel")
    assert found.marker == marker and found.is_ad


@pytest.mark.parametrize("text", ["erid" + " " * 49_990 + "!", "ИНН" + "\n" * 49_990, "Реклама" + " " * 49_990 + "x",
                                  "на" + " " * 49_990 + "правах", "❗" * 49_990])
def test_a_hostile_post_of_50000_characters_is_read_at_once(text):
    """Every quantifier is bounded: a stranger's post cannot stall the crawl (it runs in the reactor)."""
    import time

    started = time.perf_counter()
    detect_ad(text, [], "https://t.me/mychannel")
    assert time.perf_counter() - started < 0.5


def test_the_platform_flag_and_a_label_beat_an_own_promotion_link():
    own = ["https://t.me/mychannel/15?erid=2VtzqwXyZ1aB"]
    assert detect_ad("Смотрите", own, "https://t.me/mychannel", platform_flag=True).is_ad
    assert detect_ad("Скидки\nРеклама. ООО «Ромашка»", own, "https://t.me/mychannel").is_ad


def test_the_platform_flag_fires_without_any_text():
    found = detect_ad("", [], "https://vk.com/club1", platform_flag=True, platform_reason="VK: marked_as_ads")
    assert found.marker == "VK: marked_as_ads"


@pytest.mark.parametrize("text", [
    "Реклама в метро раздражает всех, кто едет на работу.",
    "По вопросам рекламы пишите @manager",
    "Реклама и сотрудничество: @sales_bot",
    "Почему реклама стала такой навязчивой? Разбираем в статье.",
    "#реклама_в_метро — тег нашей рубрики про городскую среду",
    "Reklama v televizi je dnes všude.",
    "We discussed whether #adtech is dying",
    "Обсуждаем erid: что это и зачем",
    "erid tokens explained",
    "Реклама: @manager_ads",
    "Реклама — t.me/ads_bot",
    "Реклама - @admin | Сотрудничество",
    "Реклама - это искусство",
    "Реклама: как её не бояться?",
    "Reklama: @spravce",
    "Реклама ипотеки теперь повсюду",
    "ФАС: реклама ООО «МТС» признана недостоверной",
    "реклама «Пятёрочки» бесит",
    "Мы не даём рекламу. ИНН 7701234567 для донатов",
    "Рекламодателю на заметку: новые правила",
    "#ad-free life",
])
def test_talk_about_advertising_is_no_ad(text):
    assert detect_ad(text, [], "https://t.me/mychannel").marker is None


def test_an_erid_on_a_link_to_the_channel_itself_is_its_own_promotion():
    found = detect_ad("Подписывайтесь на наш второй пост", ["https://t.me/mychannel/15?erid=2VtzqwXyZ1aB"],
                      "https://t.me/mychannel")
    assert not found.is_ad and found.own_promotion and found.erids == ("2VtzqwXyZ1aB",)


def test_advertiser_links_are_the_links_that_lead_away():
    urls = ["https://shop.example/sale?erid=2VtzqwXyZ1aB", "https://t.me/+AbCdEf123", "https://t.me/deals_bot",
            "https://t.me/otherchannel", "https://t.me/mychannel/12"]
    found = detect_ad("#реклама", urls, "https://t.me/mychannel")
    assert found.advertiser_links == tuple(urls[:4])
    assert found.erids == ("2VtzqwXyZ1aB",)


# real markup ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("inserted, marker", [
    ("<br/><br/>Реклама. ООО «Ромашка», ИНН 7701234567<br/>erid: 2VtzqwXyZ1aB", "erid token"),
    ("<br/><br/>#реклама", "#реклама"),
    ("<br/>placená spolupráce", "«placená spolupráce»"),
    ("", None),
])
def test_markers_in_real_message_markup(inserted, marker):
    """A real t.me/s text post (../shared/fixtures/telegram, rust-any2feed's) with an ad marker put into its
    text, at test time: the markup around it is the platform's own."""
    body = (shared_dir("fixtures", "telegram") / "any2feed_message_text.html").read_text(encoding="utf-8")
    start = body.index('<div class="tgme_widget_message_text js-message_text"')
    end = body.index("</div>", start)
    body = body[:end] + inserted + body[end:]
    spider = make_spider(TelegramSpider, seeds=["topwar_official"])
    ((post, _),) = list(spider.parse_posts(html_response("https://t.me/s/topwar_official", body.encode()),
                                           "topwar_official"))
    found = detect_ad(post.text, post.link_urls, "https://t.me/topwar_official")
    assert found.marker == marker


# through the crawl: Telegram, then the export -------------------------------------------------------------
def channel_with_ads():
    """8 posts a day apart, views 100 … 800; posts 2, 5 and 7 are ads, post 3 promotes the channel itself."""
    texts = {2: "Скидки!\n#реклама", 5: "Курс по Python\nerid: 2VtzqwXyZ1aB", 7: "Nové boty\nReklama"}
    posts = []
    for n in range(1, 9):
        post = {"id": n, "date": f"2026-11-0{n}T10:00:00+00:00" if n < 10 else "", "views": 100 * n,
                "text": texts.get(n, f"Обычный пост {n}. По вопросам рекламы: @manager")}
        if n == 3:
            post["links"] = ["https://t.me/adschannel/1?erid=2VtzqwXyZ1aC"]
        if n == 5:
            post["links"] = ["https://shop.example/python?erid=2VtzqwXyZ1aB"]
        posts.append(post)
    other = [{"id": n, "date": f"2026-11-0{n}T10:00:00+00:00", "views": 50, "text": f"пост {n}"} for n in range(1, 5)]
    return {"page_size": 20, "channels": {"adschannel": {"title": "Ads", "subscribers": 5000, "posts": posts},
                                          "plainchannel": {"title": "Plain", "subscribers": 900, "posts": other}}}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ads")
    db = folder / "ads.db"
    with SampleTelegram(channel_with_ads()) as server:
        crawl = run_cli("crawl", "telegram", "adschannel", "plainchannel", "--base-url", server.url, "--delay", "0",
                        "--quiet", "--db", str(db))
    assert crawl.returncode == 0, crawl.stderr
    export = run_cli("export", str(folder / "out.csv"), "--db", str(db))
    assert export.returncode == 0, export.stderr
    with (folder / "out.csv").open(newline="", encoding="utf-8-sig") as f:
        table = {row["handle"]: row for row in csv.DictReader(f)}
    return db, table, crawl


def test_ad_posts_are_stored_with_their_evidence(exported):
    db, _, _ = exported
    stored = {pid: (ad, marker, erids, links, own) for pid, ad, marker, erids, links, own in rows(
        db, "SELECT post_id, ad, ad_marker, ad_erids, ad_links, own_promotion FROM posts WHERE account = 'adschannel'")}
    assert stored["2"][:2] == (1, "#реклама")
    assert stored["5"] == (1, "erid token", "2VtzqwXyZ1aB", "https://shop.example/python?erid=2VtzqwXyZ1aB", 0)
    assert stored["7"][:2] == (1, "«reklama» label")
    assert stored["3"][0] == 0 and stored["3"][4] == 1  # the channel's own promotion is no ad
    assert all(stored[p][0] == 0 for p in ("1", "4", "6", "8"))


def test_the_export_shows_the_ad_load_by_hand(exported):
    _, table, _ = exported
    row = table["adschannel"]
    assert int(row["ad_posts"]) == 3
    assert float(row["ad_share"].rstrip("%")) / (100 if row["ad_share"].endswith("%") else 1) == pytest.approx(3 / 8)
    # 8 posts over 7 days: posts_per_week = 7 / 1 = 7; ads_per_week = 3/8 × 7
    assert float(row["ads_per_week"]) == pytest.approx(round(3 / 8 * 7, 2))
    assert float(row["ad_median_views"]) == 500  # views 200, 500, 700
    assert float(row["organic_median_views"]) == 400  # views 100, 300, 400, 600, 800
    assert float(row["ad_views_ratio"]) == pytest.approx(500 / 400)
    assert row["last_ad_at"].startswith("2026-11-07")
    assert "ad-heavy" not in row["quality_flags"]  # 8 posts checked: too few to call the page ad-heavy
    assert int(table["plainchannel"]["ad_posts"]) == 0 and "ad-heavy" not in table["plainchannel"]["quality_flags"]


def test_max_ad_share_filters_the_ad_heavy_page_out():
    frame = pd.DataFrame({"handle": ["a", "b", "c"], "ad_share": [0.5, 0.1, None]})
    assert list(apply_filters(frame, {"max_ad_share": 0.3})["handle"]) == ["b", "c"]  # unknown passes


def test_posts_never_checked_leave_the_ad_columns_empty():
    accounts = pd.DataFrame({"platform": "telegram", "handle": ["a"], "followers": [1000], "status": "ok"})
    posts = pd.DataFrame({"platform": "telegram", "account": "a", "post_id": ["1", "2"], "views": [10, 20],
                          "likes": 1, "comments": 0, "reposts": 0, "ad": None,
                          "published_at": pd.to_datetime(["2026-01-01", "2026-01-02"], utc=True)})
    table = shortlist(Frames(accounts, posts, pd.DataFrame(columns=["platform", "src", "dst", "kind"])))
    assert table[["ad_posts", "ad_share", "ad_median_views"]].isna().all(axis=None)
    assert ad_metrics(posts).empty


def test_the_ad_heavy_flag_needs_enough_posts():
    from ranking.ads import ad_flag

    assert ad_flag(1.0, 1) is None  # one post that is an ad says little
    assert ad_flag(0.62, 40) == "ad-heavy: 62% of 40 posts are ads"
    assert ad_flag(AD_HEAVY - 0.01, 40) is None


# through the crawl: VK's marked_as_ads ----------------------------------------------------------------------
VK_TOKEN = "vk1.a.ADS-TEST-TOKEN"


def vk_wall_route(path, params):
    method = path.rsplit("/", 1)[1]
    if method == "groups.getById":
        return 200, {"response": {"groups": [{"id": 1, "name": "Shop", "screen_name": "shop", "type": "group",
                                              "is_closed": 0, "members_count": 4000}]}}
    if method == "wall.get":
        items = [{"id": 10 - i, "owner_id": -1, "from_id": -1, "date": 1_764_000_000 - i * 86_400,
                  "text": "Новая коллекция" if i != 2 else "Обычный пост", "marked_as_ads": int(i == 0),
                  "views": {"count": 1000 + i}, "likes": {"count": 0}, "reposts": {"count": 0},
                  "attachments": [{"type": "link", "link": {"url": "https://brand.example/new"}}] if i == 0 else []}
                 for i in range(3)]
        return 200, {"response": {"count": 3, "items": items, "groups": [], "profiles": []}}
    return 404, "no such method"


def test_vk_marked_as_ads_through_the_crawl(tmp_path):
    with ApiServer(vk_wall_route) as server:
        result = run_cli("crawl", "vk", "shop", "--audience-limit", "0", "--base-url", f"{server.url}/method",
                         "--delay", "0", "--quiet", "--db", str(tmp_path / "vk.db"),
                         env={"VK_TOKEN": VK_TOKEN, "PAGESCOUT_BACKOFF_BASE": "0.1"})
    assert result.returncode == 0, result.stderr
    stored = dict((pid, (ad, marker, links)) for pid, ad, marker, links in rows(
        tmp_path / "vk.db", "SELECT post_id, ad, ad_marker, ad_links FROM posts"))
    assert stored["10"] == (1, "VK: marked_as_ads", "https://brand.example/new")
    assert stored["9"][0] == 0 and stored["8"][0] == 0


def test_the_xlsx_export_writes_the_last_ad_time(exported, tmp_path):
    """Excel has no time zones: last_ad_at is written as UTC."""
    from openpyxl import load_workbook

    db, _, _ = exported
    result = run_cli("export", str(tmp_path / "ads.xlsx"), "--db", str(db))
    assert result.returncode == 0, result.stderr
    sheet = load_workbook(tmp_path / "ads.xlsx")["Shortlist"]
    header = [c.value for c in sheet[1]]
    cells = {sheet.cell(row=r, column=header.index("handle") + 1).value:
             sheet.cell(row=r, column=header.index("last_ad_at") + 1).value for r in range(2, sheet.max_row + 1)}
    assert cells["adschannel"].strftime("%Y-%m-%d %H:%M") == "2026-11-07 10:00"


def test_pagescout_ads_lists_the_ad_posts_and_the_advertisers(exported, tmp_path):
    db, _, _ = exported
    posts = run_cli("ads", "--db", str(db))
    assert posts.returncode == 0, posts.stderr
    lines = posts.stdout.strip().splitlines()
    assert len(lines) == 4 and "https://t.me/adschannel/7" in lines[1]  # newest first: posts 7, 5, 2
    by_advertiser = run_cli("ads", "--advertisers", "--out", str(tmp_path / "adv.csv"), "--db", str(db))
    assert by_advertiser.returncode == 0, by_advertiser.stderr
    with (tmp_path / "adv.csv").open(newline="", encoding="utf-8-sig") as f:
        rows_ = list(csv.DictReader(f))
    assert [(r["advertiser"], r["pages"], r["page_count"], r["ad_posts"]) for r in rows_] == [
        ("shop.example", "telegram:adschannel", "1", "1")]


def test_pagescout_ads_on_a_database_without_ads_says_so(tmp_path):
    with SampleTelegram(channel_with_ads()) as server:
        run_cli("crawl", "telegram", "plainchannel", "--base-url", server.url, "--delay", "0", "--quiet",
                "--db", str(tmp_path / "p.db"))
    result = run_cli("ads", "--advertisers", "--db", str(tmp_path / "p.db"))
    assert result.returncode == 0 and "no advertisers among the stored posts" in result.stderr

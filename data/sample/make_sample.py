"""Regenerate telegram.json and mastodon.json: the synthetic samples of `pagescout demo`
(python data/sample/make_sample.py). Both come out the same on every run (fixed seeds).

Everything here is invented: channel names, texts and numbers are written to look like a small
Russian-language fitness niche on Telegram (forwards and mentions between channels, a private
channel, a deleted one), not taken from any real channel. mastodon.json is a small invented Mastodon
instance (served by crawler.sample_site.SampleMastodon): pages on running, food and the city with their
audiences, the members' profiles carrying what the bot rule reads, their follow lists, likers and
boosters of recent posts, a page that hides its followers, a deleted one, and the pages' past follower
counts (``history``, written as snapshots by crawler.demo). Dates are offsets from the moment the sample
is served (``days_ago``), so the posts are always between 2 and 90 days old.
"""

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

CHANNELS = {
    "spb_fitness_club": ("Фитнес-клуб «Нева» | СПб", "Клуб на Петроградской. Расписание, акции, советы тренеров.\nЗапись: @neva_fit_bot", 8_400, 0.32, True),
    "trainer_olga": ("Тренер Ольга Смирнова", "Персональный тренер, 12 лет опыта. Похудение без срывов.", 46_300, 0.41, True),
    "zozh_piter": ("ЗОЖ Питер", "Здоровый образ жизни в Петербурге: забеги, йога в парках, правильное питание.", 128_000, 0.22, True),
    "run_spb": ("Бегущий Петербург", "Забеги, тренировки, клубы бега СПб. Присылайте анонсы.", 23_900, 0.35, False),
    "pp_recipes": ("ПП-рецепты на каждый день", "Рецепты правильного питания: завтраки, обеды, десерты без сахара.", 310_000, 0.12, False),
    "yoga_nevsky": ("Йога на Невском", "Студия йоги. Хатха, аштанга, медитации.", 6_100, 0.48, True),
    "gym_memes": ("+100500 мемов про зал", "=HYPERLINK(\"http://evil.example\",\"Мемы\") про зал и тренировки", 540_000, 0.05, False),
    "nutritionist_ivan": ("Нутрициолог Иван Петров", "Доказательная нутрициология. Разбор БАДов и мифов.", 71_200, 0.29, True),
}
EDGES = {  # who forwards / mentions whom
    "spb_fitness_club": ["trainer_olga", "zozh_piter", "yoga_nevsky"],
    "trainer_olga": ["nutritionist_ivan", "pp_recipes", "closed_coaching"],
    "zozh_piter": ["run_spb", "yoga_nevsky", "nutritionist_ivan", "trainer_olga"],
    "run_spb": ["zozh_piter", "old_marathon_news"],
    "pp_recipes": ["nutritionist_ivan"],
    "yoga_nevsky": ["zozh_piter"],
    "gym_memes": ["pp_recipes"],
    "nutritionist_ivan": ["trainer_olga", "zozh_piter"],
}
TOPICS = [
    "Утренняя тренировка на 20 минут: приседания, выпады, планка. Сохраняйте!",
    "Сколько белка нужно в день? Коротко: 1,4–2 г на кг веса при силовых.",
    "Забег выходного дня в Таврическом саду, сбор в 9:00.",
    "Разбираем миф: «углеводы после шести» — почему это не работает.",
    "Рецепт: овсяноблин с творогом и ягодами, 320 ккал.",
    "Растяжка после бега: 5 упражнений, которые спасут колени.",
    "Новое расписание групповых занятий на неделю.",
    "Вопрос-ответ: как не сорваться с режима в праздники?",
    "Home workout without equipment: 4 rounds, 40 s on / 20 s off.",
    "Йога для спины: мягкая практика для тех, кто сидит весь день.",
]


def telegram() -> None:
    rng = random.Random(2026)
    now = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
    channels = {}
    for handle, (title, description, subscribers, reach, reactions) in CHANNELS.items():
        n_posts = rng.randint(25, 70)
        every = timedelta(hours=rng.choice([10, 16, 24, 36]))
        posts = []
        for i in range(n_posts):
            post_id = 100 + i * rng.choice([1, 1, 2])
            if posts and post_id <= posts[-1]["id"]:
                post_id = posts[-1]["id"] + 1
            views = max(50, int(subscribers * reach * rng.lognormvariate(0, 0.35)))
            post = {
                "id": post_id,
                "date": (now - every * (n_posts - i)).isoformat(),
                "text": rng.choice(TOPICS),
                "views": views,
            }
            if reactions:
                post["reactions"] = {"👍": int(views * rng.uniform(0.01, 0.05)), "🔥": int(views * rng.uniform(0, 0.02))}
            roll = rng.random()
            if roll < 0.12:
                post["forwarded_from"] = f"{rng.choice(EDGES[handle])}/{rng.randint(100, 160)}"
            elif roll < 0.2:
                post["text"] += f"\nПодписывайтесь на @{rng.choice(EDGES[handle])} — там ещё больше полезного."
            elif roll < 0.24:
                post["links"] = [f"https://t.me/{rng.choice(EDGES[handle])}"]
            elif roll < 0.26:
                post["forwarded_from"] = "hidden:Скрытый автор"
            posts.append(post)
        for target in EDGES[handle]:  # every edge shows up at least once
            if not any(target in json.dumps(p, ensure_ascii=False) for p in posts):
                rng.choice(posts)["text"] += f"\nРекомендую канал @{target}"
        channels[handle] = {"title": title, "description": description, "subscribers": subscribers,
                            "verified": handle == "zozh_piter", "posts": posts}
    channels["closed_coaching"] = {"title": "Закрытый коучинг", "status": "private", "posts": []}
    channels["old_marathon_news"] = {"title": "Марафон 2019", "status": "gone", "posts": []}
    spec = {"seeds": ["spb_fitness_club", "run_spb", "gym_memes"], "page_size": 20, "channels": channels}
    out = Path(__file__).with_name("telegram.json")
    out.write_text(json.dumps(spec, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


# Mastodon ---------------------------------------------------------------------------------------
#: username → (display name, bio, followers_count, community, share of its followers who are bots,
#: engagement rate, ad posts, own posts); the community's members follow it with PAGES_REACH.
PAGES = {
    "run_piter": ("Бегущий Питер", "Беговое сообщество Петербурга: забеги, тренировки, старты. Бегаем круглый год.",
                  18_400, "run", 0.0, 0.006, 0, 48),
    "trail_masha": ("Маша в горах | трейлраннинг", "Трейлы, горы и длинные выходные. Пишу про снаряжение и маршруты.",
                    6_200, "run", 0.0, 0.011, 0, 34),
    "coach_dima": ("Тренер Дима: сила и бег", "Персональный тренер. Силовые для бегунов, разбор техники, планы.",
                   9_800, "run", 0.0, 0.007, 2, 40),
    "yoga_lotos": ("Йога-студия «Лотос»", "Хатха и йога для бегунов на Петроградской. Расписание по понедельникам.",
                   4_100, "run", 0.0, 0.009, 1, 26),
    "marathon_prep": ("Подготовка к марафону", "Планы, питание на дистанции, разборы стартов. Followers are private.",
                      11_300, "run", 0.0, 0.005, 0, 30),
    "pp_kitchen": ("ПП-кухня", "Рецепты правильного питания: завтраки, обеды, десерты без сахара.",
                   31_000, "food", 0.15, 0.003, 3, 56),
    "vegan_spb": ("Веган СПб", "Растительная кухня, кафе и рынки Петербурга.", 7_300, "food", 0.0, 0.008, 0, 30),
    "coffee_notes": ("Coffee Notes SPb", "Specialty coffee in St Petersburg: new places, beans, brewing notes.",
                     5_600, "food", 0.0, 0.012, 0, 28),
    "bakery_bulka": ("Пекарня «Булка»", "Хлеб на закваске и круассаны. Свежая выпечка с 8 утра.",
                     3_900, "food", 0.0, 0.010, 1, 22),
    "piter_afisha": ("Афиша Петербурга 24/7", "Концерты, выставки, фестивали. Что делать в Питере на выходных.",
                     52_000, "city", 0.40, 0.0012, 4, 60),
    "spb_walks": ("Прогулки по Петербургу", "Маршруты по дворам, крышам и набережным. Авторские экскурсии.",
                  12_700, "city", 0.0, 0.006, 0, 38),
    "city_bikes": ("Велогород | City Bikes SPb", "Велодорожки, прокат, ночные покатушки. Bike lanes & rides.",
                   8_900, "city", 0.0, 0.007, 0, 32),
    "nevsky_news_en": ("Nevsky Prospect News (EN)", "St Petersburg city news in English: transport, events, weather.",
                       15_300, "city", 0.20, 0.002, 0, 44),
    "mega_giveaway": ("Розыгрыши и призы СПб", "Розыгрыши каждый день! Подпишись, сделай репост и выиграй.",
                      74_000, "all", 0.65, 0.0004, 6, 40),
    # Pages no crawl links to: only the follow lists of a sample of an audience find them (pagescout gather).
    "sport_photo_spb": ("Спортивная фотография СПб", "Снимаю забеги и велогонки. Ищите себя в альбомах.",
                        2_400, "run", 0.0, 0.010, 0, 12),
    "physio_olga": ("Физиотерапевт Ольга", "Реабилитация после травм, профилактика для бегунов.", 3_100, "run", 0.0,
                    0.009, 0, 10),
    "run_gear_reviews": ("Обзоры беговой экипировки", "Честные тесты кроссовок, часов и курток. Shoe reviews.",
                         5_800, "run", 0.0, 0.008, 0, 14),
}
#: Share of a community's people who follow each page (and a third of that among people for whom the
#: community is a second interest); others (by community) follow it with the share given here.
PAGES_REACH = {
    "run_piter": 0.75, "trail_masha": 0.30, "coach_dima": 0.45, "yoga_lotos": 0.22, "marathon_prep": 0.40,
    "pp_kitchen": 0.60, "vegan_spb": 0.30, "coffee_notes": 0.35, "bakery_bulka": 0.30,
    "piter_afisha": 0.55, "spb_walks": 0.50, "city_bikes": 0.35, "nevsky_news_en": 0.30,
    "mega_giveaway": 0.12, "sport_photo_spb": 0.16, "physio_olga": 0.12, "run_gear_reviews": 0.20,
}
ALSO_REACH = {"city_bikes": {"run": 0.30}, "coffee_notes": {"city": 0.15}, "piter_afisha": {"run": 0.08, "food": 0.08}}
GATHER_ONLY = ("sport_photo_spb", "physio_olga", "run_gear_reviews")
#: Who mentions or boosts whom: two hops from the seeds reach every page, and the deleted one.
MASTO_EDGES = {
    "run_piter": ["trail_masha", "coach_dima", "marathon_prep", "city_bikes", "old_runclub"],
    "trail_masha": ["run_piter", "yoga_lotos", "coach_dima"],
    "coach_dima": ["run_piter", "yoga_lotos", "pp_kitchen"],
    "yoga_lotos": ["trail_masha", "run_piter", "coach_dima"],
    "marathon_prep": ["run_piter", "coach_dima"],
    "pp_kitchen": ["vegan_spb", "bakery_bulka", "coach_dima"],
    "vegan_spb": ["pp_kitchen", "coffee_notes", "yoga_lotos"],
    "coffee_notes": ["bakery_bulka", "spb_walks"],
    "bakery_bulka": ["coffee_notes", "pp_kitchen"],
    "piter_afisha": ["spb_walks", "nevsky_news_en", "mega_giveaway"],
    "spb_walks": ["piter_afisha", "city_bikes", "coffee_notes"],
    "city_bikes": ["spb_walks", "piter_afisha", "nevsky_news_en"],
    "nevsky_news_en": ["piter_afisha", "spb_walks"],
    "mega_giveaway": ["piter_afisha", "pp_kitchen"],
    "sport_photo_spb": [], "physio_olga": [], "run_gear_reviews": [],
}
MASTO_SEEDS = ["run_piter", "pp_kitchen", "piter_afisha"]
#: What the demo shows with the sample (crawler.demo): the gather's target and its sample size, the pages
#: compared by overlap, the page whose history has a spike, the budget of the plan (data/sample/prices.csv).
TOUR = {"target": "run_piter", "gather_members": 300, "overlap": ["run_piter", "coach_dima", "city_bikes", "pp_kitchen"],
        "history": "piter_afisha", "budget": 30_000}
#: Past follower counts (crawler.demo writes them as daily snapshots): growth over 90 days, and jumps
#: (days ago, rise) that the page's trend does not explain: bought followers.
HISTORY = {
    "run_piter": {"growth_90d": 0.14}, "trail_masha": {"growth_90d": 0.22}, "coach_dima": {"growth_90d": 0.09},
    "yoga_lotos": {"growth_90d": 0.05}, "marathon_prep": {"growth_90d": 0.18}, "pp_kitchen": {"growth_90d": 0.31,
    "spikes": [[52, 0.16]]}, "vegan_spb": {"growth_90d": 0.07}, "coffee_notes": {"growth_90d": 0.11},
    "bakery_bulka": {"growth_90d": 0.03}, "piter_afisha": {"growth_90d": 0.62, "spikes": [[19, 0.28]]},
    "spb_walks": {"growth_90d": 0.12}, "city_bikes": {"growth_90d": 0.16}, "nevsky_news_en": {"growth_90d": -0.04},
    "mega_giveaway": {"growth_90d": 0.85, "spikes": [[40, 0.22], [11, 0.18]]},
}
MASTO_TOPICS = {
    "run": [
        "Воскресная длительная: 18 км по набережным, темп 6:00. Сбор у Петропавловки в 9:00.",
        "Интервалы на стадионе: 8 × 400 м, отдых 200 м трусцой. Кто с нами в четверг?",
        "Как выбрать кроссовки для асфальта: амортизация, дроп, вес. Коротко в треде.",
        "Итоги месяца: 4 820 км на всех, 12 личных рекордов!",
        "Long run Sunday: 20 km along the embankments, easy pace, coffee after.",
        "Растяжка после бега: 5 упражнений, которые спасут колени.",
        "Бег в дождь: что надеть и как не простыть.",
        "Готовимся к полумарафону: план на 10 недель, неделя 4.",
        "Силовая для бегунов: выпады, ягодичный мост, планка. 3 круга.",
        "Trail weekend: 32 km, 1 400 m of climbing, mud everywhere. Worth it.",
        "Питание на дистанции: гели каждые 40 минут и вода на каждом пункте.",
        "Вопрос недели: сколько раз в неделю вы бегаете?",
    ],
    "food": [
        "Рецепт: овсяноблин с творогом и ягодами, 320 ккал.",
        "Суп из чечевицы с кокосовым молоком: 30 минут и готово.",
        "New roastery on Rubinstein street: Ethiopian natural, notes of blueberry.",
        "Хлеб на закваске: почему тесто не поднимается и что с этим делать.",
        "Завтрак за 5 минут: гранола, йогурт, ягоды.",
        "V60 recipe: 15 g of coffee, 250 g of water at 94 °C, 3 minutes.",
        "Десерт без сахара: чизкейк на финиках.",
        "Куда сходить на бранч в выходные: пять мест на Петроградке.",
        "Мифы о глютене: разбираем по пунктам.",
        "Круассаны сегодня закончились к 11 — завтра печём вдвое больше.",
        "Боул с киноа, нутом и печёными овощами.",
    ],
    "city": [
        "Что делать в Петербурге на выходных: 10 событий.",
        "Разводка мостов этой ночью: расписание и лучшие точки.",
        "Night ride across the bridges on Friday: meet at Palace Square at 23:00.",
        "Новая велодорожка на Обводном: 4 км до Лавры.",
        "Прогулка по дворам-колодцам Коломны: маршрут на 2 часа.",
        "Metro: Line 3 stations close early this weekend for repairs.",
        "Выставка в Манеже продлена до конца месяца.",
        "Белые ночи на крышах: как попасть легально.",
        "Weather: first snow expected on Thursday, take care on the roads.",
        "Фестиваль уличной еды на Новой Голландии — в эту субботу.",
        "Где оставить велосипед у метро: карта парковок.",
    ],
    "all": [
        "Розыгрыш! Подпишитесь, сделайте репост и оставьте комментарий — итоги в пятницу.",
        "Итоги розыгрыша: победитель выбран случайно, поздравляем!",
        "Новый розыгрыш: два билета на концерт. Условия в посте.",
        "Giveaway: a bike helmet for one lucky follower. Boost to enter!",
        "Напоминаем: репосты без подписки не участвуют.",
    ],
}
#: Ad posts as advertisers write them: the marks the ad check (crawler.ads) reads.
MASTO_ADS = {
    "run": [
        "Реклама. ООО «Беговой Мир», ИНН 7801234567\nerid: 2VtzqxRunMir7\nКроссовки для длинных дистанций со скидкой "
        "20% до конца недели: https://begovoy-mir.example/sale",
        "Протеиновые батончики без сахара — промокод DEMO10 на первый заказ https://fitbar.example\n\n#реклама",
    ],
    "food": [
        "Реклама\nСервис доставки полезных обедов «ЗелёнаяЛожка». Первая неделя за полцены.\n"
        "Рекламодатель: ИП Смирнова А. В., ИНН 780212345678\nerid 4CQwVszH9pWdKx",
        "Протеиновые батончики без сахара — промокод DEMO10 на первый заказ https://fitbar.example\n\n#реклама",
        "Реклама. ООО «Фермерская лавка», ИНН 7816543210\nerid: 2VtzqvFarm31\nОвощи с грядки за сутки: https://lavka.example",
    ],
    "city": [
        "На правах рекламы. Билеты на фестиваль «Белые ночи» со скидкой по промокоду PITER: https://tickets.example/wn",
        "Реклама. ООО «Велопрокат Нева», ИНН 7804567890, erid: 2VtzqwBike42\nПервый час проката бесплатно: "
        "https://veloprokat.example",
    ],
    "all": [
        "Спасибо спонсору розыгрыша! Реклама. ООО «ПризМаркет», ИНН 7811223344\nerid: 2VtzqyPrize09 "
        "https://prizmarket.example",
        "На правах рекламы. Билеты на фестиваль «Белые ночи» со скидкой по промокоду PITER: https://tickets.example/wn",
        "Реклама. ООО «Беговой Мир», ИНН 7801234567\nerid: 2VtzqxRunMir7\nРозыгрыш кроссовок от магазина: "
        "https://begovoy-mir.example/win",
    ],
}
#: Talk about advertising that is no ad (the check must not count it).
NOT_AN_AD = "Реклама в метро раздражает всех. А вас?"
FIRST_NAMES = ["anna", "olga", "maria", "elena", "irina", "dmitry", "sergey", "ivan", "pavel", "nikita", "katya",
               "alexey", "yulia", "roman", "vera", "artem", "sofia", "maxim", "daria", "egor", "kate", "tom", "lena",
               "misha", "polina", "gleb", "alice", "john", "nadia", "boris"]
LAST_INITIALS = "abcdefghiklmnoprstvz"
NAMES_RU = {"anna": "Анна", "olga": "Ольга", "maria": "Мария", "elena": "Елена", "irina": "Ирина", "dmitry": "Дмитрий",
            "sergey": "Сергей", "ivan": "Иван", "pavel": "Павел", "nikita": "Никита", "katya": "Катя",
            "alexey": "Алексей", "yulia": "Юлия", "roman": "Роман", "vera": "Вера", "artem": "Артём", "sofia": "София",
            "maxim": "Максим", "daria": "Дарья", "egor": "Егор", "lena": "Лена", "misha": "Миша", "polina": "Полина",
            "gleb": "Глеб", "nadia": "Надя", "boris": "Борис"}
BIOS = {"run": ["Бегаю по утрам", "Марафонец-любитель", "Runner, 3 marathons", "Трейлы и горы", "Бегу к первой сотке"],
        "food": ["Люблю готовить", "Coffee nerd", "Пеку хлеб по выходным", "Веган с 2019", "Food blogger wannabe"],
        "city": ["Петербург навсегда", "Велосипед и кофе", "Гуляю по крышам", "City walks & photos", "Урбанист"]}


def _member_record(rng: random.Random, kind: str, community: str | None) -> dict:
    """A member's profile as the bot rule reads it (ranking.quality.member_flags): avatar, bio, age,
    posts, follows, last post, moved away."""
    if kind == "person":
        first = rng.choice(FIRST_NAMES)
        record = {"name": f"{NAMES_RU.get(first, first.title())} {rng.choice(LAST_INITIALS).upper()}.",
                  "avatar": rng.random() > 0.04, "note": rng.choice(BIOS[community]) if rng.random() > 0.08 else "",
                  "created_days_ago": rng.choice([rng.randint(60, 2600), rng.randint(60, 2600), rng.randint(8, 28)])
                  if rng.random() < 0.06 else rng.randint(60, 2600),
                  "statuses_count": 0 if rng.random() < 0.05 else int(rng.lognormvariate(4.5, 1.3)),
                  "followers_count": int(rng.lognormvariate(3.5, 1.0))}
        roll = rng.random()
        record["last_status_days_ago"] = (rng.randint(0, 40) if roll < 0.7 else rng.randint(41, 150) if roll < 0.92
                                          else rng.randint(200, 700))
        if record["statuses_count"] == 0:
            record["last_status_days_ago"] = None
        return record
    if kind == "bot":  # a bought follower: days old, empty, following thousands
        record = {"name": "", "avatar": rng.random() < 0.15, "note": "" if rng.random() < 0.9 else "Лучшие бонусы тут",
                  "created_days_ago": rng.randint(3, 28), "statuses_count": 0 if rng.random() < 0.8 else rng.randint(1, 3),
                  "followers_count": rng.randint(0, 3)}
        if rng.random() < 0.6:
            record["following_count"] = rng.randint(1_600, 4_800)
        record["last_status_days_ago"] = None if record["statuses_count"] == 0 else rng.randint(0, 10)
        if rng.random() < 0.05:
            record["bot"] = True
        return record
    # a dormant account: years old, silent for most of a year, often without a picture
    return {"name": rng.choice(FIRST_NAMES).title(), "avatar": rng.random() < 0.3,
            "note": "" if rng.random() < 0.5 else "…", "created_days_ago": rng.randint(900, 2500),
            "statuses_count": rng.randint(1, 200), "followers_count": rng.randint(0, 40),
            "last_status_days_ago": rng.randint(250, 900)}


def _mastodon_members(rng: random.Random) -> tuple[dict, dict]:
    """Members (username → record with ``following``) in three communities of people, a bot farm and
    dormant accounts; and the people of each community's page followers, for the likers."""
    members: dict[str, dict] = {}
    used = set()

    def username(stem: str) -> str:
        while True:
            name = f"{stem}{rng.randint(1, 9999)}" if stem.endswith("_") else f"{stem}_{rng.randint(1, 999)}"
            if name not in used:
                used.add(name)
                return name

    pages = list(PAGES)
    people = {"run": 300, "food": 260, "city": 280}
    fans: dict[str, list[str]] = {page: [] for page in pages}
    for community, count in people.items():
        for _ in range(count):
            first = rng.choice(FIRST_NAMES)
            name = username(f"{first}{rng.choice(LAST_INITIALS)}")
            record = _member_record(rng, "person", community)
            others = [c for c in people if c != community]
            second = rng.choice(others) if rng.random() < 0.3 else None
            follows = []
            for page in pages:
                home = PAGES[page][3]
                share = PAGES_REACH[page]
                if home == "all":
                    chance = share
                elif home == community:
                    chance = share
                elif home == second:
                    chance = share / 3
                else:
                    chance = ALSO_REACH.get(page, {}).get(community, 0.01)
                if rng.random() < chance:
                    follows.append(page)
            record["following"] = follows
            record["community"] = community
            members[name] = record
            for page in follows:
                fans[page].append(name)
    people_names = list(members)
    for name in people_names:  # people follow a few people they know, mostly of their own community
        mine = members[name]["community"]
        circle = [n for n in people_names if members[n]["community"] == mine and n != name]
        members[name]["following"] += rng.sample(circle, rng.randint(0, 5))
        if rng.random() < 0.08:
            members[name]["hide_collections"] = True
    for name in rng.sample(people_names, 15):  # moved to another instance: deactivated here
        members[name]["moved_to"] = rng.choice([other for other in people_names if other != name])
    bots = [username(rng.choice(["promo_", "bonus_", "win_", "user", "vip_", "prize_"])) for _ in range(300)]
    for name in bots:
        members[name] = {**_member_record(rng, "bot", None), "following": []}
    for page, (_, _, _, _, bot_share, _, _, _) in PAGES.items():
        if bot_share:
            wanted = round(len(fans[page]) * bot_share / (1 - bot_share))
            for name in rng.sample(bots, min(wanted, len(bots))):
                members[name]["following"].append(page)
    crawled = [p for p in pages if p not in GATHER_ONLY]
    for _ in range(35):
        name = username(rng.choice(FIRST_NAMES))
        members[name] = {**_member_record(rng, "dormant", None), "following": rng.sample(crawled, rng.randint(1, 2))}
    for record in members.values():
        record.pop("community", None)
    return members, fans


def mastodon() -> None:
    rng = random.Random(2027)
    members, fans = _mastodon_members(rng)
    accounts: dict[str, dict] = {}
    drafts = []  # (page, status) before ids are given out
    for handle, (name, note, followers, community, _, rate, ads, own) in PAGES.items():
        topics = MASTO_TOPICS[community]
        days = sorted((round(rng.uniform(2.3, 88.0), 3) for _ in range(own)), reverse=True)
        statuses = []
        ad_slots = sorted(rng.sample(range(own), ads)) if ads else []
        for i, days_ago in enumerate(days):
            interactions = max(0, int(followers * rate * rng.lognormvariate(0, 0.45)))
            status = {"days_ago": days_ago, "text": rng.choice(topics), "favourites": interactions,
                      "reblogs": int(interactions * rng.uniform(0.05, 0.3)),
                      "replies": int(interactions * rng.uniform(0.0, 0.15))}
            if i in ad_slots:
                offers = MASTO_ADS[community]
                status["text"] = offers[ad_slots.index(i) % len(offers)]
                status["favourites"] //= 2
            statuses.append(status)
            drafts.append((handle, status))
        accounts[handle] = {"name": name, "note": note, "page": True, "avatar": True, "followers_count": followers,
                            "following_count": rng.randint(40, 400), "statuses_count": own * rng.randint(8, 40),
                            "created_days_ago": rng.randint(400, 2400), "statuses": statuses, "following": []}
        if handle == "marathon_prep":
            accounts[handle]["hide_collections"] = True
    accounts["spb_walks"]["statuses"][len(accounts["spb_walks"]["statuses"]) // 2]["text"] = NOT_AN_AD
    # Oldest first, ids rising with time as Mastodon's do.
    for number, (_, status) in enumerate(sorted(drafts, key=lambda d: -d[1]["days_ago"])):
        status["id"] = str(113_000_000_000_000_000 + 1000 * number)
    # Mentions and boosts: every edge at least once, a few more at random; replies between pages.
    for handle, targets in MASTO_EDGES.items():
        own = accounts[handle]["statuses"]
        for target in targets:
            for _ in range(1 + (rng.random() < 0.6)):
                status = rng.choice([s for s in own if "reblog" not in s])
                if target != "old_runclub" and rng.random() < 0.5:
                    older = [s for s in accounts[target]["statuses"] if s["days_ago"] > status["days_ago"] + 0.5]
                    if older:  # a boost: a timeline entry of its own, newer than the post it boosts
                        boosted = rng.choice(older)
                        entry = {"id": str(int(status["id"]) + rng.randint(1, 9)), "days_ago": status["days_ago"] - 0.01,
                                 "reblog": [target, boosted["id"]]}
                        if all(s["id"] != entry["id"] for s in own):
                            own.append(entry)
                            continue
                status.setdefault("mentions", [])
                if target not in status["mentions"]:
                    status["mentions"].append(target)
                    status["text"] += (f"\nПомните @{target}? Клуб закрылся, но традиции живы." if target == "old_runclub"
                                       else f"\nСоветуем @{target} — там ещё больше полезного.")
        for _ in range(rng.randint(0, 2)):
            if not targets or targets == ["old_runclub"]:
                break
            target = rng.choice([t for t in targets if t != "old_runclub"])
            status = rng.choice([s for s in own if "reblog" not in s])
            older = [s for s in accounts[target]["statuses"] if s["days_ago"] > status["days_ago"]]
            if older and "reply_to" not in status:
                status["reply_to"] = [target, rng.choice(older)["id"]]
                status.setdefault("mentions", [])
                if target not in status["mentions"]:
                    status["mentions"].insert(0, target)
                    status["text"] = f"@{target} " + status["text"]
    for handle in accounts:
        accounts[handle]["statuses"].sort(key=lambda s: int(s["id"]), reverse=True)
        accounts[handle]["last_status_days_ago"] = int(min(s["days_ago"] for s in accounts[handle]["statuses"]))
    # Who liked and boosted the recent posts: mostly the page's keenest followers, rarely a stranger.
    # The giveaway's bought followers boost it to "enter".
    everyone = [n for n, m in members.items() if m.get("avatar") or m.get("note")]
    for handle, account in accounts.items():
        keen = rng.sample(fans[handle], max(1, len(fans[handle]) // 3)) if fans[handle] else everyone[:10]
        boosters = keen + ([n for n, m in members.items() if handle in m["following"] and n not in fans[handle]]
                           if handle == "mega_giveaway" else [])
        own = [s for s in account["statuses"] if "reblog" not in s][:12]
        for status in own:
            likers = rng.sample(keen, min(len(keen), status["favourites"], rng.randint(4, 24)))
            if rng.random() < 0.3:
                likers.append(rng.choice(everyone))
            status["favourited_by"] = list(dict.fromkeys(likers))
            status["reblogged_by"] = rng.sample(boosters, min(len(boosters), status["reblogs"],
                                                              rng.randint(0, 20 if handle == "mega_giveaway" else 6)))
    for handle, history in HISTORY.items():
        accounts[handle]["history"] = history
    accounts["old_runclub"] = {"gone": True}
    for name, record in members.items():
        accounts[name] = record
    reach = {}
    for page in MASTO_SEEDS:  # every page within two hops of the seeds, as the demo crawls them
        reach.setdefault(page, 0)
    frontier = list(MASTO_SEEDS)
    while frontier:
        page = frontier.pop(0)
        for other in MASTO_EDGES.get(page, []):
            if other not in reach:
                reach[other] = reach[page] + 1
                frontier.append(other)
    missing = [p for p in PAGES if p not in GATHER_ONLY and reach.get(p, 9) > 2]
    assert not missing and reach.get("old_runclub", 9) <= 2, missing
    spec = {"about": "A synthetic Mastodon instance for pagescout demo: every name, text and number is invented.",
            "seeds": MASTO_SEEDS, "tour": TOUR, "page_size": 80, "accounts": accounts}
    out = Path(__file__).with_name("mastodon.json")
    out.write_text(json.dumps(spec, ensure_ascii=False, separators=(",", ":"), indent=0) + "\n", encoding="utf-8")


def main() -> None:
    telegram()
    mastodon()


if __name__ == "__main__":
    main()

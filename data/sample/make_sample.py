"""Regenerate telegram.json: synthetic channels for `pagescout demo` (python data/sample/make_sample.py).

Everything here is invented: channel names, texts and numbers are written to look like a small
Russian-language fitness niche on Telegram (forwards and mentions between channels, a private
channel, a deleted one), not taken from any real channel.
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


def main() -> None:
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


if __name__ == "__main__":
    main()

"""Writes the sample import files in this folder. All synthetic: handles, names and numbers are made up."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent

ACCOUNTS = [
    ["username", "name", "followers_count", "bio", "is_verified", "following", "media_count"],
    ["@fit_with_anna", "Anna · Fitness", "48.2K", "Домашние тренировки", "yes", "312", "845"],
    ["runclub_msk", "Run Club Moscow", "12 400", "Бег по выходным", "no", "150", "390"],
    ["healthy_plate", "Healthy Plate", "230000", "Recipes without sugar", "yes", "98", "1204"],
]
POSTS = [
    ["handle", "post_id", "published_at", "views", "likes", "comments", "shares", "caption"],
    ["fit_with_anna", "C1a", "2026-10-01T09:00:00+00:00", "21000", "1300", "85", "40", "Утренняя зарядка"],
    ["fit_with_anna", "C1b", "2026-10-04T09:00:00+00:00", "18500", "990", "61", "22", "Растяжка"],
    ["fit_with_anna", "C1c", "2026-10-08T09:00:00+00:00", "25300", "1720", "140", "75", "Кардио дома"],
    ["runclub_msk", "R01", "2026-10-02", "5200", "310", "12", "9", "Забег в парке"],
    ["runclub_msk", "R02", "2026-10-09", "4800", "280", "20", "4", "Интервалы"],
    ["healthy_plate", "H10", "05.10.2026", "90000", "5100", "230", "800", "Завтрак за 5 минут"],
    ["healthy_plate", "H11", "12.10.2026", "76000", "4300", "190", "610", "Суп-пюре"],
]
AUDIENCE = [["handle", "follower_id"]] + [["fit_with_anna", f"u{n}"] for n in range(1, 9)] + [
    ["runclub_msk", f"u{n}"] for n in range(5, 12)]


def write_csv(name: str, rows: list[list[str]]) -> None:
    with (HERE / name).open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


if __name__ == "__main__":
    write_csv("instagram_accounts.csv", ACCOUNTS)
    write_csv("instagram_posts.csv", POSTS)
    write_csv("instagram_audience.csv", AUDIENCE)
    wb = Workbook()
    ws = wb.active
    for row in ACCOUNTS:
        ws.append(row)
    wb.save(HERE / "instagram_accounts.xlsx")

"""Hostile input, measured side by side with the way it was read before the bounds.

1. The keyword match of a discovery with the largest brief allowed (500 + 500 keywords of 100
   characters) against a 50,000-character post: the bounded sparse-trigram match vs the word-by-word
   definition it replaced (the tests' reference, tests/test_bounds.py).
2. A zip-bomb XLSX (3 MB packed, 1 GB unpacked) as `import` and `plan --prices` read it: the bounded
   reader's refusal vs openpyxl reading it row by row (stopped after 30 s).

Run: .venv/bin/python bench/hostile.py
"""

from __future__ import annotations

import multiprocessing
import random
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from crawler.focus import Focus  # noqa: E402
from sheets.errors import SheetError  # noqa: E402
from sheets.tables import read_rows  # noqa: E402
from test_bounds import largest_keywords, word_by_word  # noqa: E402

BASELINE_LIMIT_S = 30.0


def match_figures() -> tuple[float, float]:
    rng = random.Random(2)
    letters = "абвгдежзиклмнопрстуфхцчшщыэюя"
    keywords, negative = largest_keywords(rng, letters), largest_keywords(rng, letters)
    text = " ".join("".join(rng.choice(letters) for _ in range(rng.randint(2, 9))) for _ in range(20_000))[:50_000]
    focus = Focus(keywords, negative)
    bounded = []
    for _ in range(5):
        start = time.perf_counter()
        focus.match(text)
        bounded.append(time.perf_counter() - start)
    start = time.perf_counter()
    word_by_word(text, keywords, negative)
    return statistics.median(bounded), time.perf_counter() - start


def zip_bomb(path: Path, unpacked: int = 2**30) -> None:
    """A real workbook (openpyxl's own) whose one sheet unpacks to ``unpacked`` bytes of rows."""
    from openpyxl import Workbook

    plain = path.with_suffix(".plain.xlsx")
    Workbook().save(plain)
    row = b'<row><c t="inlineStr"><is><t>' + b"A" * 4000 + b"</t></is></c></row>"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                z.writestr(item, source.read(item))
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            for _ in range(unpacked // len(row)):
                sheet.write(row)
            sheet.write(b"</sheetData></worksheet>")
    plain.unlink()


def _openpyxl_rows(path: str) -> None:
    from openpyxl import load_workbook

    for _ in load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True):
        pass


def bomb_figures(path: Path) -> tuple[float, float | None]:
    start = time.perf_counter()
    try:
        read_rows(path)
    except SheetError:
        pass
    refused = time.perf_counter() - start
    worker = multiprocessing.Process(target=_openpyxl_rows, args=(str(path),))
    start = time.perf_counter()
    worker.start()
    worker.join(BASELINE_LIMIT_S)
    baseline = time.perf_counter() - start
    if worker.is_alive():
        worker.kill()
        worker.join()
        return refused, None
    return refused, baseline


def main() -> None:
    bounded, reference = match_figures()
    print(f"keyword match, largest brief vs a 50,000-character post: bounded {bounded:.3f} s, "
          f"word by word {reference:.1f} s ({reference / bounded:.0f}× faster)")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bomb.xlsx"
        zip_bomb(path)
        refused, baseline = bomb_figures(path)
        packed = path.stat().st_size / 2**20
    shown = f"{baseline:.1f} s" if baseline is not None else f"still reading after {BASELINE_LIMIT_S:.0f} s"
    print(f"zip-bomb XLSX ({packed:.1f} MB packed, 1 GB unpacked): refused in {refused * 1000:.1f} ms; "
          f"openpyxl row by row: {shown}")
    print(f"hostile_match_speedup={reference / bounded:.0f} hostile_bomb_refusal_ms={refused * 1000:.1f}")


if __name__ == "__main__":
    main()

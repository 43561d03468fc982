"""Bad command-line input, as an impatient or hostile user types it: every case gets one line naming what
was wrong (with the input cut to about 80 characters), exit code 2, no traceback, and nothing changed."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from conftest import invoke, one_line_error
from crawler.items import Account, Post
from crawler.store import Store

LONG = "a" * 10_000


@pytest.fixture(scope="module")
def dbs(tmp_path_factory):
    """A pagescout database with a page, a foreign SQLite file, one of a newer pagescout, and a folder."""
    folder = tmp_path_factory.mktemp("bad_inputs")
    good = folder / "good.db"
    with Store(str(good)) as store:
        store.write({"Account": [vars(Account("telegram", "alpha", followers=10))],
                     "Post": [vars(Post("telegram", "alpha", "1", views=5))]})
    foreign = folder / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    newer = folder / "newer.db"
    with Store(str(newer)):
        pass
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    big_count = folder / "big.csv"
    big_count.write_text("handle,followers\nalpha,99999999999999999999999\n", encoding="utf-8")
    return {"good": good, "foreign": foreign, "newer": newer, "folder": folder, "big_count": big_count}


# (arguments, words the one line must contain); "{good}" etc. are filled from the fixture.
BAD_INPUTS = [
    (["crawl", "telegram", "durov", "--db", "mysql://user@host/db"], ["postgresql"]),
    (["crawl", "telegram", "durov", "--db", "foo://x"], ["postgresql"]),
    (["crawl", "telegram", "durov", "--db", ""], ["--db"]),
    (["crawl", "telegram", "durov", "--base-url", "not a url"], ["--base-url"]),
    (["crawl", "telegram", "durov", "--base-url", "http://[::1"], ["--base-url"]),
    (["crawl", "telegram", "durov", "--base-url", ""], ["--base-url", "empty"]),
    (["crawl", "telegram", "durov", "--base-url", "ftp://example.org"], ["--base-url"]),
    (["crawl", "bluesky", "alice.bsky.social", "--base-url", "http://127.0.0.1:99999"], ["--base-url"]),
    (["crawl", "youtube", "@google", "--base-url", ""], ["--base-url"]),
    (["crawl", "rss", "https://example.org/feed", "--base-url", "javascript:alert(1)"], ["--base-url"]),
    (["crawl", "telegram", "durov", "--delay", "inf"], ["--delay"]),
    (["crawl", "telegram", "durov", "--delay", "nan"], ["--delay"]),
    (["crawl", "telegram", "durov", "--delay", "-1"], ["--delay"]),
    (["crawl", "telegram", "durov", "--timeout", "0"], ["--timeout"]),
    (["crawl", "telegram", "durov", "--timeout", "inf"], ["--timeout"]),
    (["crawl", "telegram", "durov", "--depth", "x"], ["--depth"]),
    (["crawl", "telegram", "durov", "--max-posts", "0"], ["--max-posts"]),
    (["crawl", "telegram", LONG], ["not a public Telegram channel"]),
    (["crawl", "telegram", "durov", "--depth", LONG], ["--depth"]),
    (["crawl", "mastodon"], ["--search"]),
    (["crawl", "telegram", "durov", "--db", "{foreign}"], ["another program"]),
    (["crawl", "telegram", "durov", "--db", "{newer}"], ["newer"]),
    (["crawl", "telegram", "durov", "--db", "{folder}"], ["folder"]),
    (["discover", "no_such_brief.toml"], ["no_such_brief.toml"]),
    (["rank", "--db", "{folder}/missing.db"], ["no database"]),
    (["rank", "--db", "{good}", "--platform", "myspace"], ["unknown platform"]),
    (["rank", "--db", "{foreign}"], ["another program"]),
    (["rank", "--db", "{newer}"], ["newer"]),
    (["rank", "--db", "mysql://user@host/db"], ["postgresql"]),
    (["export", "{folder}/out.txt", "--db", "{good}"], [".xlsx"]),
    (["export", "{folder}/no/such/out.xlsx", "--db", "{good}"], ["does not exist"]),
    (["history", "nocolon", "--db", "{good}"], ["platform:handle"]),
    (["history", f"telegram:{LONG}", "--db", "{good}"], ["telegram"]),
    (["import", "instagram", "{big_count}", "--db", "{good}"], ["big.csv", "followers"]),
    (["overlap", "telegram:alpha", "telegram:nobody", "--db", "{good}"], ["telegram"]),
]


@pytest.mark.parametrize("arguments,words", BAD_INPUTS, ids=[" ".join(a)[:60] for a, _ in BAD_INPUTS])
def test_bad_input_gets_one_clear_line(dbs, arguments, words):
    filled = [a.format(**{k: str(v) for k, v in dbs.items()}) if "{" in a else a for a in arguments]
    before = {name: hashlib.sha256(path.read_bytes()).hexdigest()
              for name, path in dbs.items() if path.is_file()}
    result = invoke(*filled)
    line = one_line_error(result, *words)
    assert len(line) < 400, "echoed input is cut"
    after = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in dbs.items() if path.is_file()}
    assert after == before, "a refused command changed a file"


def test_readme_counts_the_bad_inputs():
    from conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"{len(BAD_INPUTS)} bad inputs" in readme

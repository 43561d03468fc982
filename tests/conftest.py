from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FILES = Path(__file__).resolve().parent / "files"


def shared_dir(*parts: str) -> Path:
    """A folder of ../shared, or a skip naming what is missing (CI and developers have it beside the repo)."""
    path = SHARED.joinpath(*parts)
    if not path.is_dir():
        pytest.skip(f"{path} is absent: the real-platform fixtures live in ../shared beside the repo")
    return path


def make_spider(spider_cls, **kwargs):
    crawler = get_crawler(spider_cls)
    crawler._apply_settings()
    spider = spider_cls.from_crawler(crawler, **kwargs)
    crawler.spider = spider
    return spider


def html_response(url: str, body: bytes, status: int = 200, **cb_kwargs) -> HtmlResponse:
    """A saved page as the spider would receive it: the real URL (so links resolve), bytes, no guessed encoding."""
    request = Request(url, cb_kwargs=cb_kwargs)
    return HtmlResponse(url=url, body=body, status=status, request=request, encoding="utf-8")


def run_cli(*args: str, env: dict | None = None, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    """Run ``pagescout`` in a fresh process: Scrapy's reactor starts once per process."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=REPO, env=full_env, capture_output=True,
                          text=True, timeout=timeout, **kwargs)


def rows(db, sql: str) -> list[tuple]:
    """Rows of a query on a pagescout SQLite file, the way a user would look at it."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def invoke(*args):
    """Run a pagescout command in-process (for commands that start no crawl)."""
    from cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def app_commands(group=None, prefix=()):
    """(command path, Click command) of every leaf command of the app, e.g. (("crawl", "telegram"), <Command>)."""
    if group is None:
        from typer.main import get_command

        from cli import app

        group = get_command(app)
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from app_commands(command, prefix + (name,))
        else:
            yield prefix + (name,), command


def one_line_error(result, *words) -> str:
    """A user error as pagescout must show it: exit code 2, one line, no traceback, naming ``words``."""
    assert result.exit_code == 2, result.output
    text = result.output.strip()
    assert len(text.splitlines()) == 1 and "Traceback" not in text, text
    for word in words:
        assert word in text, text
    return text

from __future__ import annotations

import itertools
import os
import sqlite3
import subprocess
import sys
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FILES = Path(__file__).resolve().parent / "files"
#: A PostgreSQL server the store's tests create throwaway databases on (``.ci/run`` starts one and sets it).
POSTGRES = os.environ.get("PAGESCOUT_TEST_POSTGRES")


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


def _libpq(url: str) -> str:
    """A database URL as psycopg takes it (no SQLAlchemy driver name)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def postgres_database():
    """The URL of a fresh, empty database on ``$PAGESCOUT_TEST_POSTGRES``'s server, dropped afterwards.

    Without a server (or without psycopg) this skips, and in CI (``$CI`` set) it fails: CI must provide one."""
    if not POSTGRES:
        if os.environ.get("CI"):
            pytest.fail("CI must provide a PostgreSQL server in $PAGESCOUT_TEST_POSTGRES (.ci/run starts one)")
        pytest.skip("no PostgreSQL server: set $PAGESCOUT_TEST_POSTGRES=postgresql://user@host:port/db")
    try:
        import psycopg
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("CI must install the psycopg driver: pip install -e '.[test]'")
        pytest.skip("no psycopg driver: pip install -e '.[postgres]'")
    import sqlalchemy as sa

    name = f"pagescout_{uuid.uuid4().hex[:12]}"
    admin = _libpq(POSTGRES)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def new_store_url(request, tmp_path):
    """Makes fresh, empty databases for the store, on SQLite (a file path in ``tmp_path``) and then on
    PostgreSQL (a throwaway database, see ``postgres_database``): a test using it runs on both."""
    with ExitStack() as made:
        names = itertools.count()

        def make() -> str:
            if request.param == "sqlite":
                return str(tmp_path / f"store{next(names)}.db")
            return made.enter_context(postgres_database())

        yield make


@pytest.fixture
def store_url(new_store_url) -> str:
    """A fresh, empty database: a SQLite file path, then a PostgreSQL URL (the store's tests run on both)."""
    return new_store_url()


def is_postgres(db: str) -> bool:
    return str(db).startswith("postgresql")


def _connection(db: str):
    if is_postgres(db):
        import psycopg

        return psycopg.connect(_libpq(db), autocommit=True)
    return sqlite3.connect(str(db).removeprefix("sqlite:///"), isolation_level=None)


def sql_rows(db, sql: str) -> list[tuple]:
    """Rows of a query on a pagescout database, SQLite file or PostgreSQL URL, looked at directly."""
    conn = _connection(db)
    try:
        return [tuple(row) for row in conn.execute(sql).fetchall()]
    finally:
        conn.close()


def sql_execute(db, *statements: str) -> None:
    """Run statements on a pagescout database behind the store's back (an older version's schema, damage)."""
    conn = _connection(db)
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


def sql_tables(db) -> set[str]:
    """The tables of a pagescout database (PostgreSQL: of its public schema)."""
    if is_postgres(db):
        return {name for (name,) in sql_rows(db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    return {name for (name,) in sql_rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")}


def sql_columns(db, table: str) -> set[str]:
    """The columns of one table of a pagescout database."""
    if is_postgres(db):
        return {name for (name,) in sql_rows(db, "SELECT column_name FROM information_schema.columns WHERE "
                                                 f"table_schema = 'public' AND table_name = '{table}'")}
    return {name for (name,) in sql_rows(db, f"SELECT name FROM pragma_table_info('{table}')")}

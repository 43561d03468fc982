"""The shape of the house (DEVELOPERS.md "Layout"), checked so it stays as documented: thin commands named
after themselves, one module speaking SQL, ranking free of files and databases, data flowing one way."""

from __future__ import annotations

import ast
import inspect
import textwrap
from pathlib import Path

import pytest

from conftest import app_commands

REPO = Path(__file__).resolve().parents[1]
#: Lines a command's body may take besides its docstring: parse, call one library function, print or write.
COMMAND_BODY_MAX = 40


def python_files(*rooms: str):
    for room in rooms:
        path = REPO / room
        yield from ([path] if path.suffix == ".py" else sorted(path.rglob("*.py")))


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def top_packages(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path)}


@pytest.mark.parametrize("path, command", list(app_commands()), ids=[" ".join(p) for p, _ in app_commands()])
def test_a_command_function_is_named_after_its_command(path, command):
    """``pagescout crawl vk`` is ``crawl_vk``, ``pagescout plan`` is ``plan``; a Python keyword gets a
    trailing underscore (``import_``)."""
    name = "_".join(path).replace("-", "_")
    expected = f"{name}_" if name in ("import",) else name
    assert command.callback.__name__ == expected


@pytest.mark.parametrize("path, command", list(app_commands()), ids=[" ".join(p) for p, _ in app_commands()])
def test_a_command_body_is_short(path, command):
    source = textwrap.dedent(inspect.getsource(command.callback))
    function = ast.parse(source).body[0]
    body = function.body[1:] if ast.get_docstring(function) else function.body
    lines = body[-1].end_lineno - body[0].lineno + 1
    assert lines <= COMMAND_BODY_MAX, (f"pagescout {' '.join(path)} takes {lines} lines: move the work into the "
                                       "library and call one function")


def test_cli_is_the_small_entry_point():
    lines = len((REPO / "cli.py").read_text(encoding="utf-8").splitlines())
    assert lines < 700


@pytest.mark.parametrize("path", list(python_files("cli.py", "commands")), ids=lambda p: p.name)
def test_commands_do_no_table_work(path):
    """Computation lives in ranking/ and sheets/; a command only parses, calls and prints."""
    assert not top_packages(path) & {"pandas", "numpy", "scipy", "openpyxl", "sklearn", "networkx"}


@pytest.mark.parametrize("path", list(python_files("cli.py", "commands", "crawler", "ranking", "sheets")),
                         ids=lambda p: str(p.relative_to(REPO)))
def test_only_the_store_speaks_sql(path):
    if path == REPO / "crawler" / "store.py":
        return
    assert not top_packages(path) & {"sqlalchemy", "sqlite3", "psycopg"}


@pytest.mark.parametrize("path", list(python_files("ranking")), ids=lambda p: p.name)
def test_ranking_reads_no_files_network_or_database(path):
    """Pure functions over DataFrames: nothing from the crawler, the commands or the files people hand over."""
    assert not top_packages(path) & {"crawler", "commands", "cli", "sheets", "scrapy", "requests", "urllib",
                                     "socket", "sqlalchemy", "sqlite3", "psycopg", "pathlib", "os", "shutil"}


@pytest.mark.parametrize("room, downstream", [
    ("crawler", {"commands", "cli", "sheets"}),
    ("sheets", {"commands", "cli"}),
])
def test_data_flows_one_way(room, downstream):
    """spiders → items → pipelines → store → frames → ranking → exports: no room imports what comes after it.
    The store builds ranking's ``Frames`` bundle (the hand-over point); users' files, read or written, are
    sheets' (a brief and an import are read there and handed to the crawler and the store)."""
    for path in python_files(room):
        modules = imported_modules(path)
        assert not (modules | {m.split(".")[0] for m in modules}) & downstream, path.relative_to(REPO)

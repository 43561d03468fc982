"""README.md and every command's --help, checked against the real command line (as simonw/sqlite-utils does).

Options are read from the Click command objects, not scraped from text, so a new option is caught
the moment it is added, whatever module of the CLI it lives in.
"""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from cli import app
from conftest import REPO, app_commands, invoke

HELP_WIDTH = 100

# Options a section may name although its own command lacks them, each because the section shows
# the next step with another command; any other --option in a section must be its command's.
OTHER_COMMANDS_OPTIONS_SHOWN = {
    "discover": {"--brief"},  # "pagescout export shortlist.xlsx --brief data/brief.toml" ranks what it found
    # "pagescout rank --platform mastodon --db data/demo/demo.db" and the rest: the commands to try on the demo's database
    "demo": {"--db", "--platform", "--target", "--top", "--budget", "--prices", "--lang"},
    "gather": {"--target"},  # "overlap, plan, similar and export --target work on them"
}

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
COMMAND_HEADING = re.compile(r"^`pagescout ([^`]+)`$")
# A whole option name: --target must not be found inside --target-members, nor --top inside --topic.
OPTION_IN_TEXT = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*(?![\w-])")


def command_paths(groups: bool = False) -> list[tuple[str, ...]]:
    """Every leaf command's path; with groups, also the app's and each group's own (pagescout crawl)."""
    paths = {path for path, _ in app_commands()}
    if groups:
        paths |= {path[:i] for path in paths for i in range(len(path))}
    return sorted(paths)


COMMANDS = dict(app_commands())


def long_options(command) -> dict[str, object]:
    """Every long option name the command accepts, to its Click parameter (--help is Click's own)."""
    return {name: param for param in command.params if param.param_type_name == "option"
            for name in param.opts + param.secondary_opts if name.startswith("--") and name != "--help"}


def documented_options(command) -> dict[str, object]:
    """The long options a user sees in --help: a hidden option needs no README line."""
    return {name: param for name, param in long_options(command).items() if not getattr(param, "hidden", False)}


def help_line(command, param) -> str:
    """The option as its --help shows it, with its default: what the README line should say."""
    names, text = param.get_help_record(command.context_class(command))
    return f"  {names}: {text}"


def readme_sections() -> dict[str, list[str]]:
    """Command path ("crawl telegram") → the texts under each of its `pagescout …` headings.

    A section runs to the next heading of the same or a higher level; `#` lines inside code fences
    are not headings.
    """
    sections: dict[str, list[str]] = {}
    open_sections: list[tuple[int, str, list[str]]] = []
    in_fence = False
    for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        heading = None if in_fence else HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            open_sections = [s for s in open_sections if s[0] < level]
            command = COMMAND_HEADING.match(heading.group(2))
            if command:
                body: list[str] = []
                sections.setdefault(command.group(1), []).append(body)
                open_sections.append((level, command.group(1), body))
            continue
        for _, _, body in open_sections:
            body.append(line)
    return {name: ["\n".join(body) for body in bodies] for name, bodies in sections.items()}


SECTIONS = readme_sections()


def options_in(text: str) -> set[str]:
    return set(OPTION_IN_TEXT.findall(text))


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_every_command_has_help_with_example(path):
    result = invoke(*path, "--help")
    assert result.exit_code == 0 and result.exception is None, result.output
    assert "Traceback" not in result.output, result.output
    assert "Example: pagescout " + " ".join(path) in result.output


@pytest.mark.parametrize("path", command_paths(groups=True), ids=lambda p: " ".join(("pagescout",) + p))
def test_every_help_fits_in_100_columns(path):
    # Click rewraps help text to the terminal, so an overlong line is one it may not wrap: a \b block
    # such as the Example line, or a long word; a 100-column terminal would break it mid-command.
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": str(HELP_WIDTH)})
    assert result.exit_code == 0 and result.exception is None, result.output
    assert "Traceback" not in result.output, result.output
    too_wide = [line for line in result.output.splitlines() if len(line) > HELP_WIDTH]
    assert not too_wide, (f"pagescout {' '.join(path)} --help has lines over {HELP_WIDTH} columns "
                          f"(wrap them in its docstring or help text):\n" + "\n".join(too_wide))


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_every_command_has_one_readme_section(path):
    name = " ".join(path)
    assert len(SECTIONS.get(name, [])) == 1, (
        f"README.md needs exactly one heading ### `pagescout {name}` (found {len(SECTIONS.get(name, []))})")


def test_every_readme_command_heading_is_a_command():
    stale = sorted(set(SECTIONS) - {" ".join(path) for path in COMMANDS})
    assert not stale, f"README.md has sections for commands pagescout does not have: {stale}"


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_every_option_is_in_its_readme_section(path):
    name = " ".join(path)
    section = "\n".join(SECTIONS.get(name, []))
    help_text = invoke(*path, "--help").output
    options = documented_options(COMMANDS[path])
    assert all(option in help_text for option in options), help_text
    missing = sorted(set(options) - options_in(section))
    assert not missing, (
        f"pagescout {name}: options missing from its README section; document them in README.md under "
        f"### `pagescout {name}`:\n" + "\n".join(help_line(COMMANDS[path], options[option]) for option in missing))


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_every_option_in_a_readme_section_exists(path):
    name = " ".join(path)
    section = "\n".join(SECTIONS.get(name, []))
    allowed = set(long_options(COMMANDS[path])) | OTHER_COMMANDS_OPTIONS_SHOWN.get(name, set())
    stale = sorted(options_in(section) - allowed)
    assert not stale, (f"README.md's section ### `pagescout {name}` names options the command does not have: "
                       f"{stale}; fix README.md (or the command)")


def test_other_commands_options_shown_are_still_needed():
    """The allowance list stays minimal: an entry the README no longer needs is removed."""
    for name, options in OTHER_COMMANDS_OPTIONS_SHOWN.items():
        command = COMMANDS[tuple(name.split())]
        shown = options_in("\n".join(SECTIONS.get(name, [])))
        assert options <= shown - set(long_options(command)), (name, options)

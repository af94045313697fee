"""The rooms of the package and which way imports may point (docs/architecture.md).

core <- storage / desktop / report <- daemon <- commands <- cli, with the
foundation modules (config, paths, clock, prompts, text, errors, exits,
timezones, autostart, argparsing) below everything but core. No module imports one that
imports it back, directly or around a longer circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "sitbreak"

ROOMS = ("core", "desktop", "storage", "report", "daemon", "commands")
#: What each room may import, besides itself and the foundation.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "foundation": {"core"},
    "desktop": {"core"},
    "storage": {"core"},
    "report": {"core", "storage"},
    "daemon": {"core", "desktop", "storage", "report"},
    "commands": {"core", "desktop", "storage", "report", "daemon"},
    "cli": {"commands"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in ROOMS:
        return parts[1]
    if module in ("sitbreak.cli", "sitbreak.__main__"):
        return "cli"
    return "foundation"


def imports(path: Path) -> set[str]:
    """Every sitbreak module this file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sitbreak"):
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                is_module = (SRC / Path(*candidate.split("."))).with_suffix(".py").exists()
                found.add(candidate if is_module else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("sitbreak"))
    return found - {"sitbreak"}


GRAPH = {module_name(p): imports(p) for p in PACKAGE.rglob("*.py")}


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down(module: str) -> None:
    mine = room(module)
    allowed = ALLOWED[mine] | {mine, "foundation"}
    if mine == "foundation":
        allowed = ALLOWED["foundation"] | {"foundation"}
    wrong = sorted(i for i in GRAPH[module] if room(i) not in allowed)
    assert not wrong, f"{module} ({mine}) may not import {wrong}"


def test_no_module_imports_itself_around_a_circle() -> None:
    def package_of(name: str) -> str:
        return name.rsplit(".", 1)[0]

    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for dep in sorted(GRAPH.get(m, ())):
            # A package's __init__ importing its own modules is not a circle.
            if dep not in GRAPH or package_of(m) == dep:
                continue
            if state.get(dep) == 1:
                circle = [*stack[stack.index(dep) :], dep]
                raise AssertionError("import circle: " + " -> ".join(circle))
            if dep not in state:
                visit(dep)
        stack.pop()
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m)


def test_every_subcommand_lives_in_commands() -> None:
    from sitbreak.commands import MODULES

    on_disk = {p.stem for p in (PACKAGE / "commands").glob("*.py")} - {"__init__"}
    assert set(MODULES) == on_disk
    cli = (PACKAGE / "cli.py").read_text()
    assert "add_parser(" not in cli, "cli.py builds no subcommand itself"

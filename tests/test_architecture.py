"""The code keeps the shape ARCHITECTURE.md and STYLE.md describe."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import tidings

SOURCE = Path(tidings.__file__).parent

# The bottom layer: each of these may import only the parts listed.
ONLY = {"clock": set(), "errors": set(), "config": {"errors"}, "db": set(), "background": set()}
# Everything else: the parts above it, which it must never import. Dependencies point down.
NEVER = {
    "workspaces": {"people", "log", "ingest", "processor", "scheduler", "api", "services", "cli"},
    "log": {"people", "workspaces", "ingest", "processor", "scheduler", "api", "services", "cli"},
    "people": {"log", "ingest", "processor", "scheduler", "api", "services", "cli"},
    "ingest": {"people", "processor", "scheduler", "api", "services", "cli"},
    "processor": {"ingest", "api", "services", "cli"},
    "messaging": {"log", "ingest", "processor", "scheduler", "api", "services", "cli"},
    "segments": {"log", "ingest", "processor", "scheduler", "api", "services", "cli", "messaging"},
}


def _modules() -> list[Path]:
    return sorted(p for p in SOURCE.rglob("*.py") if "migrations" not in p.parts)


def _part(path: Path) -> str:
    return path.relative_to(SOURCE).parts[0].removesuffix(".py")


def _imported_parts(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tidings."):
            names.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            names.update(a.name.split(".")[1] for a in node.names if a.name.startswith("tidings."))
    return names


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SOURCE)))
def test_imports_point_down(path: Path) -> None:
    part = _part(path)
    imported = _imported_parts(path) - {part}
    bad = imported - ONLY[part] if part in ONLY else imported & NEVER.get(part, set())
    assert not bad, f"{path.relative_to(SOURCE)} imports {sorted(bad)}, a layer above it"


def test_wall_clock_is_read_only_in_clock_module() -> None:
    pattern = re.compile(r"datetime\.now\(|datetime\.utcnow\(|time\.time\(|date\.today\(")
    offenders = [
        str(path.relative_to(SOURCE))
        for path in _modules()
        if path.name != "clock.py" and pattern.search(path.read_text())
    ]
    assert offenders == []


def _packages() -> list[str]:
    return sorted(
        f"tidings.{info.name}" for info in pkgutil.iter_modules([str(SOURCE)]) if info.ispkg
    )


@pytest.mark.parametrize("name", _packages())
def test_package_exports_exactly_its_all(name: str) -> None:
    package = importlib.import_module(name)
    assert hasattr(package, "__all__"), f"{name} must declare __all__"
    missing = [member for member in package.__all__ if not hasattr(package, member)]
    assert missing == []
    assert sorted(package.__all__) == sorted(set(package.__all__))


def test_other_packages_import_only_through_package_exports() -> None:
    """`from tidings.people.queries import x` outside people/ reaches past the package's promise;
    only the storage layer's schema and helpers are shared by module."""
    offenders = []
    for path in _modules():
        part = _part(path)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tidings."):
                target = node.module.split(".")
                if len(target) > 2 and target[1] != part and target[1] != "db":
                    offenders.append(f"{path.relative_to(SOURCE)}: from {node.module}")
    assert offenders == []

"""House rules read from the source tree: cookie gateway and one-way imports."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ESHOP = Path(__file__).resolve().parent.parent / "eshop"
COOKIE_ACCESS = re.compile(
    r"set_cookie\(|delete_cookie\(|request\.cookies|set-cookie|session_interface",
    re.IGNORECASE,
)


def python_files(package: Path = ESHOP) -> list[Path]:
    return sorted(package.rglob("*.py"))


def test_only_the_consent_package_touches_cookies():
    offenders = []
    for path in python_files():
        if path.is_relative_to(ESHOP / "consent"):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            # consent.set_cookie / consent.delete_cookie are the gateway itself
            code = re.sub(r"consent\.(set|delete)_cookie\(", "", code)
            if COOKIE_ACCESS.search(code):
                offenders.append(f"{path.relative_to(ESHOP.parent)}:{number}: {line}")
    assert offenders == []


def module_name(path: Path) -> str:
    """``eshop/catalog/views.py`` -> ``eshop.catalog.views``."""
    parts = path.relative_to(ESHOP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[tuple[int, str, bool]]:
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    return imports_in(path.read_text(), package)


def imports_in(source: str, package: str) -> list[tuple[int, str, bool]]:
    """Every module the imports of ``source`` name (line, module, at the top
    level?), at any depth, relative ones made absolute from ``package``;
    ``from eshop import admin`` names ``eshop.admin``."""
    tree = ast.parse(source)
    top_level = set(tree.body)
    found = []
    for node in ast.walk(tree):
        at_top = node in top_level
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, at_top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base, at_top))
            found += [(node.lineno, f"{base}.{a.name}", at_top) for a in node.names]
    return found


def imported_modules(path: Path) -> set[str]:
    return {name for _, name, _ in imports_of(path) if name.startswith("eshop")}


def unit(module: str) -> str | None:
    """The package or top-level module of ``eshop`` that ``module`` belongs to."""
    parts = module.split(".")
    if parts[0] != "eshop" or len(parts) < 2:
        return None
    return parts[1]


def test_the_import_reader_sees_every_spelling():
    source = (
        "from eshop import admin\n"
        "from ..admin import services\n"
        "from . import views\n"
        "import eshop.admin.models\n"
        "def later():\n"
        "    import importlib\n"
    )
    found = imports_in(source, "eshop.catalog")
    assert {"eshop.admin", "eshop.admin.services", "eshop.catalog.views"} <= {
        module for _, module, _ in found
    }
    assert (1, "eshop.admin", True) in found
    assert (4, "eshop.admin.models", True) in found
    assert (6, "importlib", False) in found


DOMAINS = [
    "catalog",
    "cart",
    "orders",
    "payments",
    "newsletter",
    "privacy",
    "legal",
    "account",
]
# The app factory and the modules only it imports, which wire every package in.
WIRING = {"eshop/__init__.py", "eshop/cli.py", "eshop/tables.py"}
SHARED = sorted(
    path
    for path in [*ESHOP.glob("*.py"), *ESHOP.glob("ratelimits/*.py")]
    if str(path.relative_to(ESHOP.parent)) not in WIRING
)


def offenders(paths: list[Path], forbidden: list[str]) -> list[str]:
    bad = []
    for path in paths:
        for module in sorted(imported_modules(path)):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(ESHOP.parent)} imports {module}")
    return bad


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        *[(domain, ["eshop.admin"]) for domain in DOMAINS],
        (
            "consent",
            [
                *[f"eshop.{d}" for d in [*DOMAINS, "admin", "mail"]],
                "eshop.layout",
                "eshop.csrf",
                "eshop.errors",
            ],
        ),
        ("mail", [f"eshop.{d}" for d in [*DOMAINS, "admin", "consent"]]),
    ],
)
def test_roads_run_one_way(package, forbidden):
    assert offenders(python_files(ESHOP / package), forbidden) == []


def test_shared_modules_import_no_domain():
    """layout, i18n, signing, money, errors...: the floor the domains stand on."""
    forbidden = [f"eshop.{d}" for d in [*DOMAINS, "admin"]]
    assert offenders(SHARED, forbidden) == []


def test_only_the_factory_imports_views():
    """A domain reaches another through its services, never its views."""
    bad = []
    for path in python_files():
        if str(path.relative_to(ESHOP.parent)) in WIRING:
            continue
        own = unit(module_name(path))
        for module in imported_modules(path):
            if module.endswith(".views") and unit(module) != own:
                bad.append(f"{path.relative_to(ESHOP.parent)} imports {module}")
    assert bad == []


def test_no_import_is_hidden_in_a_function_and_none_is_dynamic():
    """Imports sit at the top of a module, where a reader sees the roads; the
    factory alone imports inside its steps (each package's own import would
    otherwise import every other)."""
    bad = []
    for path in python_files():
        name = str(path.relative_to(ESHOP.parent))
        for line, module, at_top in imports_of(path):
            if module == "importlib" or module.startswith("importlib."):
                bad.append(f"{name}:{line} imports {module}")
            elif not at_top and name != "eshop/__init__.py":
                bad.append(f"{name}:{line} imports {module} inside a function")
    assert bad == []


def test_packages_import_each_other_in_one_direction():
    """No two packages (or shared modules) import each other, even through others."""
    graph: dict[str, set[str]] = {}
    for path in python_files():
        if str(path.relative_to(ESHOP.parent)) in WIRING:
            continue
        source = unit(module_name(path))
        for module in imported_modules(path):
            target = unit(module)
            if target and target != source:
                graph.setdefault(source, set()).add(target)

    def cycle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for following in sorted(graph.get(node, ())):
                if following == start:
                    return [*trail, start]
                if following not in trail:
                    stack.append((following, [*trail, following]))
        return None

    cycles = {tuple(c) for c in map(cycle_from, sorted(graph)) if c}
    assert cycles == set()

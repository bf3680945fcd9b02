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


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


DOMAINS = ["catalog", "cart", "orders", "newsletter", "privacy"]


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        *[(domain, ["eshop.admin"]) for domain in DOMAINS],
        ("consent", [f"eshop.{d}" for d in [*DOMAINS, "admin", "mail"]]),
        ("mail", [f"eshop.{d}" for d in [*DOMAINS, "admin", "consent"]]),
    ],
)
def test_roads_run_one_way(package, forbidden):
    bad = []
    for path in python_files(ESHOP / package):
        for module in imported_modules(path):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(ESHOP.parent)} imports {module}")
    assert bad == []

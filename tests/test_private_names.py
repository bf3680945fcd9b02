"""No code in eshop/ reads or writes a dependency's private names (issue 13, point 3).

A name with a leading underscore on another object than ``self``/``cls`` (``x._y``),
a parent class's mangled name (``self._Limiter__x``) or such a name as a string
(``session["_remember"]``, ``getattr(x, "_y")``) is somebody else's internal: it
may change in any release. The shop's own module-private names
(``from .state import _helper``) are imports, not attribute reads, so they pass.
"""

from __future__ import annotations

import ast
from pathlib import Path

ESHOP = Path(__file__).resolve().parent.parent / "eshop"


def private_names(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    own = {  # object.__setattr__(self, "_name", ...) on the shop's own frozen class
        id(arg)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and node.args
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id == "self"
        for arg in node.args[1:]
    }
    own |= {  # the fixed parts of an f-string: text, not a name
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in node.values
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            owner = node.value
            dunder = node.attr.startswith("__") and node.attr.endswith("__")
            mangled = "__" in node.attr[1:] and not dunder  # self._Limiter__x
            if mangled or (
                not dunder
                and not (isinstance(owner, ast.Name) and owner.id in ("self", "cls"))
            ):
                found.append((node.lineno, ast.unparse(node)))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value[:1] == "_"
            and node.value[1:2].isalpha()
            and node.value.isidentifier()
            and id(node) not in own
        ):
            found.append((node.lineno, repr(node.value)))
    return found


def test_no_code_reads_or_writes_a_private_name_of_another_object():
    offences = [
        f"{path.relative_to(ESHOP.parent)}:{line}: {text}"
        for path in sorted(ESHOP.rglob("*.py"))
        for line, text in private_names(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offences == []


def test_the_reader_sees_each_spelling():
    source = """
self._mine = 1
self._Limiter__inject_headers(response)
request._get_current_object()
getattr(limiter, "_storage_dead")
session.pop("_remember", None)
template = "_flashes.html"
object.__setattr__(self, "_by_name", {})
column = f"{kind}_eur_vat_{rate}"
"""
    assert [text for _, text in private_names(ast.parse(source))] == [
        "self._Limiter__inject_headers",
        "request._get_current_object",
        "'_storage_dead'",
        "'_remember'",
    ]

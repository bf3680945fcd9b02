"""Garbage cookies cannot make the shop's memory grow (issue 13, point 1).

Before, every unreadable cart cookie left a closure in the app's ``ensure_sync``
memory for good. Here 1,000 requests each send new garbage in every cookie the shop
reads; after the first pages have warmed the memos, none of them grows any more,
and none is ever above its bound.
"""

from __future__ import annotations

import functools
import gc
import sys
from collections.abc import Sized
from typing import Any

from flask import Flask

from eshop.i18n import preferred_language
from eshop.memo import Memo

COOKIES = ("session", "consent", "cart", "details", "visitor", "ads")
REQUESTS = 1_000
WARM_UP = 100


def memo_sizes(app: Flask) -> dict[str, int]:
    """The size of everything the shop keeps between requests."""
    sizes: dict[str, int] = {}
    for name, value in vars(app).items():
        if isinstance(value, Sized) and not isinstance(value, str | bytes):
            sizes[f"app.{name}"] = len(value)
    for name, value in app.extensions.items():
        if isinstance(value, Sized) and not isinstance(value, str | bytes):
            sizes[f"app.extensions[{name!r}]"] = len(value)
    for obj in gc.get_objects():
        if isinstance(obj, Memo):
            assert len(obj) <= obj.maxsize
            sizes[f"Memo {id(obj)}"] = len(obj)
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("eshop"):
            continue
        for name, value in vars(module).items():
            if isinstance(value, functools._lru_cache_wrapper):
                info = value.cache_info()
                assert info.maxsize is not None, f"{module_name}.{name} is unbounded"
                sizes[f"{module_name}.{name}"] = info.currsize
    return sizes


def garbage(n: int) -> dict[str, Any]:
    return {name: f"garbage-{n}.{name}.{'x' * (n % 50)}" for name in COOKIES}


def test_bad_cookies_leave_every_memo_bounded(app, make_product):
    product = make_product(slug="savon-lavande")
    pages = [
        "/",
        "/products",
        f"/products/{product.slug}",
        "/cart",
        "/products?q=savon",
    ]
    client = app.test_client()

    def visit(n: int) -> None:
        for name, value in garbage(n).items():
            client.set_cookie(name, value)
        assert client.get(pages[n % len(pages)]).status_code == 200

    for n in range(WARM_UP):
        visit(n)
    warm = memo_sizes(app)
    for n in range(WARM_UP, REQUESTS):
        visit(n)
    after = memo_sizes(app)

    grown = {name: (warm.get(name), size) for name, size in after.items()}
    assert {k: v for k, v in grown.items() if v[0] != v[1]} == {}


def test_many_languages_leave_the_language_memo_bounded(app):
    """Each distinct Accept-Language header is a new key for the memo of the
    language it prefers: a thousand of them keep it at its bound, and each page
    still speaks what its header asks for."""
    client = app.test_client()
    preferred_language.cache_clear()
    for n in range(REQUESTS):
        wanted = "en" if n % 2 else "fr"
        header = f"{wanted};q=0.9, x-{n};q=0.5"
        page = client.get("/", headers={"Accept-Language": header})
        assert f'<html lang="{wanted}"' in page.get_data(as_text=True)
    info = preferred_language.cache_info()
    assert info.misses >= REQUESTS  # every page asked the memo
    assert info.currsize == info.maxsize < REQUESTS

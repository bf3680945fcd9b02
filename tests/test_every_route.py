"""Every GET route of the URL map, walked with demo data, against the cookie contract.

With no decision, after "Refuse all" and with Global Privacy Control, a page may set
technical cookies only, each registered, within its registry lifetime and under
4,096 bytes, and no page may load a script, frame or image from another host. After
"Accept all", every cookie set is still a registered one. Routes with arguments get
sample values from the demo data; for arguments this test does not know, a generic
value stands in and any status but a server error is accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from flask import Flask, url_for
from werkzeug.http import parse_date
from werkzeug.routing import Rule

from eshop.consent.guard import lifetime_of, parse_set_cookie
from eshop.consent.registry import Category
from eshop.extensions import db as _db
from tests.account.conftest import Member, place_test_order

CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LOCAL_HOSTS = {"", "localhost", "127.0.0.1"}
MAX_COOKIE_BYTES = 4096
GENERIC_VALUES = {"int": 1, "default": "sample", "path": "sample/path", "any": "x"}


# --- sample values for the routes' arguments -----------------------------------------


def first_value(model_path: str, column: str) -> Any:
    """The first row's value of ``column`` in a model, or None (no model, no row)."""
    module_name, _, class_name = model_path.rpartition(".")
    try:
        module = __import__(module_name, fromlist=[class_name])
        model = getattr(module, class_name)
        attribute = getattr(model, column)
    except (ImportError, AttributeError):
        return None
    return _db.session.execute(_db.select(attribute).limit(1)).scalar()


def sample_values() -> dict[str, Any]:
    """Argument name → a value that exists in the demo data, where we know one."""
    samples = {
        "product_id": first_value("eshop.catalog.models.Product", "id"),
        "slug": first_value("eshop.catalog.models.Product", "slug"),
        "category_id": first_value("eshop.catalog.models.Category", "id"),
        "filename": first_value("eshop.catalog.models.ProductImage", "filename"),
        "order_id": first_value("eshop.orders.models.Order", "id"),
        "public_id": first_value("eshop.orders.models.Order", "public_id"),
        "campaign_id": first_value("eshop.newsletter.models.Campaign", "id"),
        "message_id": first_value("eshop.mail.models.OutboxMessage", "id"),
    }
    return {name: value for name, value in samples.items() if value is not None}


SAMPLES_BY_ENDPOINT = {"static": {"filename": "css/shop.css"}}


def converter_kind(rule: Rule, argument: str) -> str:
    converter = type(rule._converters[argument]).__name__.lower()
    for kind in ("int", "path", "any"):
        if kind in converter:
            return kind
    return "default"


@dataclass
class Route:
    endpoint: str
    url: str
    known: bool  # every argument has a real sample: the page should answer 2xx/3xx


def get_routes(app: Flask) -> list[Route]:
    """Every GET rule of the URL map, with URLs built from the demo data."""
    routes = []
    with app.app_context():
        samples = sample_values()
    with app.test_request_context("/"):
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in (rule.methods or ()):
                continue
            values: dict[str, Any] = {}
            known = True
            for argument in rule.arguments:
                by_endpoint = SAMPLES_BY_ENDPOINT.get(rule.endpoint, {})
                if argument in by_endpoint:
                    values[argument] = by_endpoint[argument]
                elif argument in samples:
                    values[argument] = samples[argument]
                else:
                    values[argument] = GENERIC_VALUES[converter_kind(rule, argument)]
                    known = False
            routes.append(Route(rule.endpoint, url_for(rule.endpoint, **values), known))
    return routes


# --- what a page may do -------------------------------------------------------------


class ExternalResources(HTMLParser):
    """Collects scripts, frames, images and stylesheets loaded from another host."""

    LOADING = {
        "script": ("src",),
        "iframe": ("src",),
        "frame": ("src",),
        "img": ("src", "srcset"),
        "source": ("src", "srcset"),
        "link": ("href",),
        "embed": ("src",),
        "object": ("data",),
        "video": ("src", "poster"),
        "audio": ("src",),
    }

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "link" and "stylesheet" not in (attributes.get("rel") or ""):
            if "icon" not in (attributes.get("rel") or ""):
                return
        for name in self.LOADING.get(tag, ()):
            for url in (attributes.get(name) or "").split(","):
                url = url.strip().split(" ")[0]
                if url and is_external(url):
                    self.found.append(f"<{tag} {name}={url}>")


def is_external(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data",):
        return False
    return bool(parts.scheme or parts.netloc) and parts.hostname not in LOCAL_HOSTS


def external_resources(html: str) -> list[str]:
    parser = ExternalResources()
    parser.feed(html)
    return parser.found


@dataclass
class Walk:
    """What walking every route found wrong, and the expiry each cookie got."""

    problems: list[str] = field(default_factory=list)
    expiries: dict[str, datetime] = field(default_factory=dict)
    visited: int = 0


def check_cookies(
    app: Flask, route: Route, response: Any, technical_only: bool, walk: Walk
) -> None:
    registry = app.extensions["lavande.consent"]
    now = datetime.now(UTC)
    for header in response.headers.getlist("Set-Cookie"):
        name, value, attrs = parse_set_cookie(header)
        where = f"{route.url}: cookie {name!r}"
        spec = registry.get(name)
        if spec is None:
            walk.problems.append(f"{where} is not registered")
            continue
        lifetime = lifetime_of(attrs, now)
        if lifetime is not None and lifetime <= timedelta(0):
            continue  # a deletion
        if technical_only and spec.category is not Category.TECHNICAL:
            walk.problems.append(f"{where} is {spec.category}, not technical")
        if len(f"{name}={value}") >= MAX_COOKIE_BYTES:
            walk.problems.append(f"{where} is {len(value)} bytes")
        if spec.max_age is None:
            if lifetime is not None:
                walk.problems.append(f"{where} should end with the browser session")
        elif lifetime is None or lifetime > spec.max_age + timedelta(seconds=2):
            walk.problems.append(f"{where} lives {lifetime}, over {spec.max_age}")
        if "expires" in attrs:
            walk.expiries.setdefault(name, parse_date(attrs["expires"]))


def walk_routes(
    app: Flask,
    client: Any,
    *,
    technical_only: bool,
    headers: dict[str, str] | None = None,
    check_html: bool = True,
) -> Walk:
    """GET every route once with ``client`` and check what each response did."""
    walk = Walk()
    for route in get_routes(app):
        response = client.get(route.url, headers=headers or {})
        walk.visited += 1
        if response.status_code >= 500:
            walk.problems.append(f"{route.url}: {response.status_code}")
        elif route.known and response.status_code >= 400:
            walk.problems.append(f"{route.url}: {response.status_code} with demo data")
        check_cookies(app, route, response, technical_only, walk)
        if check_html and response.mimetype == "text/html":
            for resource in external_resources(response.get_data(as_text=True)):
                walk.problems.append(f"{route.url}: loads {resource}")
        response.close()  # static files are streamed from an open file
    return walk


# --- the visitor's situations --------------------------------------------------------


@pytest.fixture
def shop(app: Flask, runner: Any) -> Flask:
    """The app with the demo catalogue (``seed-demo``), or a product made here."""
    if "seed-demo" in app.cli.commands:
        with app.app_context():  # as `flask` does; the test runner does not
            result = runner.invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
    else:
        from eshop.catalog.models import Category as ProductCategory
        from eshop.catalog.models import Product

        with app.app_context():
            category = ProductCategory(slug="miel", name_fr="Miel", name_en="Honey")
            _db.session.add(category)
            _db.session.add(
                Product(
                    slug="miel-de-lavande",
                    category=category,
                    name_fr="Miel de lavande",
                    name_en="Lavender honey",
                    price_cents=950,
                )
            )
            _db.session.commit()
    return app


def decide(client: Any, choice: str, headers: dict[str, str] | None = None) -> None:
    page = client.get("/consent", headers=headers or {}).get_data(as_text=True)
    token = CSRF_TOKEN.search(page).group(1)
    response = client.post(
        "/consent/decide",
        data={"csrf_token": token, "choice": choice, "next": "/"},
        headers=headers or {},
    )
    assert response.status_code == 303


def log_in_as_owner(client: Any) -> bool:
    """Log in through the back office's form, when the admin domain offers it."""
    try:
        from eshop.admin.services import create_or_reset_owner
    except ImportError:
        return False
    create_or_reset_owner("owner@lavande.example", "correct horse battery")
    page = client.get("/admin/login").get_data(as_text=True)
    response = client.post(
        "/admin/login",
        data={
            "email": "owner@lavande.example",
            "password": "correct horse battery",
            "csrf_token": CSRF_TOKEN.search(page).group(1),
        },
    )
    return response.status_code in (302, 303)


def test_the_walk_covers_every_get_route(shop):
    routes = get_routes(shop)
    endpoints = {route.endpoint for route in routes}
    for expected in ("catalog.home", "consent.policy", "consent.preferences"):
        assert expected in endpoints
    assert len(routes) >= 10


def test_without_a_decision_only_technical_cookies(shop):
    walk = walk_routes(shop, shop.test_client(), technical_only=True)
    assert walk.problems == []


def test_after_refuse_all_only_technical_cookies(shop):
    client = shop.test_client()
    decide(client, "refuse")
    walk = walk_routes(shop, client, technical_only=True)
    assert walk.problems == []


def test_with_global_privacy_control_only_technical_cookies(shop):
    client = shop.test_client()
    gpc = {"Sec-GPC": "1"}
    walk = walk_routes(shop, client, technical_only=True, headers=gpc)
    decide(client, "accept", headers=gpc)  # a banner click does not outweigh GPC
    walk.problems += walk_routes(
        shop, client, technical_only=True, headers=gpc
    ).problems
    assert walk.problems == []


def test_the_owner_back_office_sets_only_technical_cookies(shop):
    client = shop.test_client()
    with shop.app_context():
        if not log_in_as_owner(client):
            pytest.skip("the back office has no owner login yet")
    walk = walk_routes(shop, client, technical_only=True)
    assert walk.problems == []


def test_a_signed_in_member_gets_only_technical_cookies(shop):
    """Given a customer signed in to the member area through the emailed link, when
    they walk every route (member pages included), then only registered technical
    cookies are set, and they are still signed in at the end."""
    place_test_order(shop, paid=True)  # its page and invoice are walked too
    client = shop.test_client()
    member = Member(client, shop)
    member.sign_in()
    walk = walk_routes(shop, client, technical_only=True)
    assert walk.problems == []
    assert member.signed_in()


def test_after_accept_all_only_registered_cookies(shop):
    client = shop.test_client()
    decide(client, "accept")
    walk = walk_routes(shop, client, technical_only=False, check_html=False)
    assert walk.problems == []


def test_a_later_visit_never_extends_a_cookie(shop):
    """Given a visitor who accepted everything and browsed every page, when they
    come back ten days later and browse again, then no cookie gets a later expiry
    than it first had (a new consent decision aside, which is a new agreement)."""
    client = shop.test_client()
    with time_machine.travel("2026-11-26 10:00:00+00:00", tick=False):
        decide(client, "accept")
        first = walk_routes(shop, client, technical_only=False, check_html=False)
    with time_machine.travel("2026-12-06 10:00:00+00:00", tick=False):
        later = walk_routes(shop, client, technical_only=False, check_html=False)
    assert first.problems == later.problems == []
    assert set(first.expiries) & set(later.expiries), "nothing was written twice"
    extended = {
        name: (first.expiries[name], expiry)
        for name, expiry in later.expiries.items()
        if name in first.expiries and expiry > first.expiries[name]
    }
    assert extended == {}

"""Storefront views of the catalogue: home, product list and search, product page.

Views parse the query string, call the catalogue services and render. The parts of a
page that only depend on the catalogue and the language are kept in the fragment
cache (see cache.py); what depends on the visitor (CSRF token, consent, cart) is
rendered for each request. Nothing here writes to the database.
"""

from __future__ import annotations

import re

from babel.numbers import format_decimal
from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    render_template,
    request,
    send_from_directory,
)
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from jinja2.filters import do_truncate
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from eshop import signing
from eshop.extensions import db
from eshop.i18n import current_language
from eshop.layout import (
    Kept,
    keep,
    link_shape,
    provide_slot,
    render_kept,
    render_once,
)

from . import cache, services
from .cache import fragment_cache
from .images import storage_folder
from .search import MAX_QUERY_CHARS

bp = Blueprint("catalog", __name__)


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    cache.init_app(state.app)
    provide_slot(state.app, "header_nav", catalog_header_nav)


IMAGE_MAX_AGE = 365 * 24 * 3600  # file names are unique per upload: never changes
MAX_PAGE = 100_000
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,119}")
DESCRIPTION_CHARS = 155  # what search engines show of a meta description


def language_key() -> tuple[str, str | None]:
    """What a cached fragment's links and words depend on: the language, and whether
    ``?lang=`` is carried on every link."""
    return link_shape()[:2]


def parse_page(raw: str | None) -> int | None:
    """The page number asked for, or None when it is not a positive number."""
    if raw is None or raw == "":
        return 1
    if not raw.isascii() or not raw.isdigit():
        return None
    page = int(raw)
    return page if 1 <= page <= MAX_PAGE else None


def clean_query(raw: str) -> str:
    """A shopper's search, without control characters, of reasonable length."""
    return " ".join(_CONTROL_CHARS.sub(" ", raw[: MAX_QUERY_CHARS * 2]).split())[
        :MAX_QUERY_CHARS
    ]


def bad_request(message: str) -> ResponseReturnValue:
    return render_template("errors/error.html", code=400, message=message), 400


@bp.app_template_global("catalog_vat_rate")
def catalog_vat_rate(basis_points: int) -> str:
    """A VAT rate for the page's language: ``5,5 %`` or ``5.5%``."""
    locale = current_language()
    number = format_decimal(basis_points / 100, format="#,##0.##", locale=locale)
    return f"{number}\u202f%" if locale == "fr" else f"{number}%"


def catalog_header_nav() -> Markup:
    """The header's categories and search box, cached per language."""
    current = (
        request.args.get("category", "")
        if request.endpoint == bp.name + ".products"
        else ""
    )
    if not _SLUG.fullmatch(current):
        current = ""
    try:
        return fragment_cache().get_or_build(
            ("nav", *language_key(), current),
            lambda: render_once(
                "catalog/_nav.html",
                categories=services.categories(),
                current_category=current,
                explicit_lang=language_key()[1],
            ),
        )
    except SQLAlchemyError:
        # Error pages render this too, possibly because the database is down.
        db.session.rollback()
        return render_once(
            "catalog/_nav.html", categories=[], explicit_lang=language_key()[1]
        )


@bp.get("/")
def home() -> ResponseReturnValue:
    """The home page: featured products and categories."""
    main = fragment_cache().get_or_build(
        ("home", *language_key()),
        lambda: render_once(
            "catalog/_home_main.html",
            featured=services.featured_products(),
            categories=services.categories(),
        ),
    )
    return render_kept("catalog/home.html", main=main)


@bp.get("/products")
def products() -> ResponseReturnValue:
    """Products, 24 a page: filtered by category, sorted, or searched (ranked)."""
    page = parse_page(request.args.get("page"))
    if page is None:
        return bad_request(_("This page number is not valid."))
    sort = request.args.get("sort", "")
    if sort not in services.SORTS:
        sort = ""
    category = request.args.get("category", "").strip()
    if category and not _SLUG.fullmatch(category):
        abort(404)
    query = clean_query(request.args.get("q", ""))
    locale = current_language()

    def build() -> tuple[Markup, int, str]:
        listing = services.list_products(
            page=page,
            sort=sort or None,
            category_slug=category or None,
            query=query,
            locale=locale,
        )
        chosen = services.category_by_slug(category) if category else None
        if query:
            title = _("Search: %(query)s", query=query)
        elif chosen:
            title = chosen.name(locale)
        else:
            title = _("All products")
        html = render_once(
            "catalog/_products_main.html",
            explicit_lang=language_key()[1],
            listing=listing,
            title=title,
            query=query,
            sort=sort,
            category=chosen,
            categories=services.categories(),
            params={
                name: value
                for name, value in (
                    ("category", category),
                    ("q", query),
                    ("sort", sort),
                )
                if value
            },
        )
        return html, listing.total, title

    key = ("products", *language_key(), page, sort, category, query)
    try:
        main, total, title = fragment_cache().get_or_build(key, build)
    except services.UnknownCategory:
        abort(404)
    except services.PageOutOfRange:
        abort(404)
    if query:
        g.search_query = query
        g.search_results_count = total
    robots = "noindex, follow" if query else "index, follow"
    return render_kept("catalog/products.html", main=main, title=title, robots=robots)


@bp.get("/products/<slug>")
def product_detail(slug: str) -> ResponseReturnValue:
    """A product: images, description, price with VAT, stock and add-to-cart form."""
    if not _SLUG.fullmatch(slug):
        abort(404)
    product = fragment_cache().get_or_build(
        ("product", slug), lambda: services.product_by_slug(slug)
    )
    if product is None:
        abort(404)
    g.viewed_product = product
    kept, description = fragment_cache().get_or_build(
        ("product-main", *language_key(), slug), lambda: _product_main(product)
    )
    return render_kept(
        "catalog/product.html",
        title=product.name(current_language()),
        description=description,
        main=kept.fill({"add_to_cart_token": signing.csrf_token()}),
    )


def _product_main(product: services.ProductDetail) -> tuple[Kept, str]:
    """A product page's main part, kept with a marker for the add-to-cart form's
    CSRF token, and its meta description."""
    template = "catalog/_product_main.html"
    kept = keep(template, {"product": product}, {"add_to_cart_token"})
    text = product.description(current_language())
    return kept, do_truncate(current_app.jinja_env, text, DESCRIPTION_CHARS)


@bp.get("/media/products/<filename>")
def product_image(filename: str) -> ResponseReturnValue:
    """A stored product image, cached by browsers for a year."""
    if "\x00" in filename or filename.startswith("."):
        abort(404)
    response = send_from_directory(storage_folder(), filename, max_age=IMAGE_MAX_AGE)
    # Read at once rather than streamed, and the file closed now: a few kilobytes,
    # and a browser that goes away mid-answer can leave the server without calling
    # the response's close (werkzeug's development server, seen in the browser
    # tests). A drawing is then compressed like any SVG.
    response.direct_passthrough = False
    response.make_sequence()
    response.close()
    response.cache_control.immutable = True
    response.cache_control.public = True
    return response

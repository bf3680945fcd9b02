"""The back office's menu, built from the URL map so a screen appears once it exists."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from eshop.catalog.images import thumbnail_name

from .blueprint import bp

# (path, label): the issue fixes the paths; each screen module picks its endpoint name.
MENU = (
    ("/admin/", _l("Dashboard")),
    ("/admin/products", _l("Products")),
    ("/admin/categories", _l("Categories")),
    ("/admin/orders", _l("Orders")),
    ("/admin/withdrawals", _l("Withdrawals")),
    ("/admin/subscribers", _l("Subscribers")),
    ("/admin/campaigns", _l("Campaigns")),
    ("/admin/outbox", _l("Outbox")),
    ("/admin/audience", _l("Audience")),
)


@dataclass(frozen=True)
class MenuItem:
    label: str
    url: str
    current: bool


def endpoint_for(path: str) -> str | None:
    """The endpoint answering GET ``path``, or None while that screen is not built."""
    adapter = current_app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(path, method="GET")
    except RequestRedirect as redirect:
        return endpoint_for(redirect.new_url.removeprefix("http://localhost"))
    except HTTPException:
        return None
    return str(endpoint)


def menu_items() -> list[MenuItem]:
    """The menu entries whose screens exist, the current one marked."""
    items = []
    for path, label in MENU:
        endpoint = endpoint_for(path)
        if endpoint is None:
            continue
        url = url_for(endpoint)
        current = request.path == path or (
            path != "/admin/" and request.path.startswith(path + "/")
        )
        items.append(MenuItem(str(label), url, current))
    return items


@bp.app_context_processor
def inject_admin_helpers() -> dict[str, object]:
    """The menu and small formatters, for every admin template."""
    return {
        "admin_menu": menu_items,
        "thumbnail_name": thumbnail_name,
    }

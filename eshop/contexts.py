"""Flask's context objects themselves, for code that runs on every request.

Reading an attribute through one of Flask's proxies (``request.environ``,
``g.get``) goes through werkzeug's descriptor machinery each time, about ten
times the cost of fetching the object once and reading it directly. A page's
helpers do that a hundred times a request, so the hot ones fetch the object.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, request
from flask.wrappers import Request


def this_request() -> Request:
    """The request being handled (RuntimeError outside a request, as ``request``)."""
    return request._get_current_object()  # type: ignore[attr-defined]


def this_app() -> Flask:
    """The app handling the request or command."""
    return current_app._get_current_object()  # type: ignore[attr-defined]


def this_g() -> Any:
    """The app context's ``g``."""
    return g._get_current_object()  # type: ignore[attr-defined]

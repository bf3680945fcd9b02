"""The context helpers hand back Flask's own objects, and fail where Flask does."""

from __future__ import annotations

import pytest
from flask import Flask, current_app, g, request

from eshop.contexts import this_app, this_g, this_request


def test_they_are_the_objects_behind_flasks_proxies(app: Flask) -> None:
    with app.test_request_context("/products?page=2"):
        assert this_request() is request._get_current_object()
        assert this_request().args["page"] == "2"
        assert this_app() is current_app._get_current_object() is app
        this_g().seen = True
        assert g.seen is True


def test_outside_a_request_they_fail_like_flask(app: Flask) -> None:
    with pytest.raises(RuntimeError):
        this_request()
    with pytest.raises(RuntimeError):
        this_app()
    with app.app_context():
        assert this_app() is app
        with pytest.raises(RuntimeError):
            this_request()

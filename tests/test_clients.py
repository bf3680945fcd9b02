"""Attempts are counted per client: an IPv6 client as its /64, so that changing the
last bits of its address does not escape a limit."""

from __future__ import annotations

import pytest
from flask import Flask

from eshop.clients import client_key


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:fffe", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("not an address", "not an address"),
    ],
)
def test_the_key_a_client_is_counted_under(address, key):
    app = Flask(__name__)
    with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
        assert client_key() == key

"""Fixtures for the card payment tests: the shop pointed at localstripe.

Every test here gets an app configured for the worker's localstripe (emptied before
the test). A module that overrides ``app_config`` again takes this one as an
argument and extends it: ``return {**app_config, "WTF_CSRF_ENABLED": False}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.stripe_server import LocalStripe

WEBHOOK_PATH = "/payments/stripe/webhook"


@pytest.fixture
def app_config(app_config: dict[str, Any], stripe: LocalStripe) -> dict[str, Any]:
    """The suite's settings plus the STRIPE_* keys and addresses of localstripe."""
    return {**app_config, **stripe.settings()}


@pytest.fixture
def stripe_webhooks(live_server: str, stripe: LocalStripe) -> Iterator[str]:
    """localstripe sends its events to the live server's webhook; yields that URL.

    Afterwards, events already made are let through before the webhook goes quiet,
    so none reaches the next test's shop.
    """
    url = live_server + WEBHOOK_PATH
    stripe.send_webhooks_to(url)
    yield url
    stripe.stop_webhooks()

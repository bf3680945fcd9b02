"""Brute force on the owner's login: locks fall on the attacker, never on the owner.

Failed logins are counted per client address and per (account, address) pair, and
lock those for 15 minutes; the account as a whole is only slowed down, so the right
password from another address still gets in.
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest
import time_machine

from eshop.clock import utcnow

from .conftest import OWNER_EMAIL, OWNER_PASSWORD, AdminActions

WRONG = "wrong password"


def login_from(client, address: str, **kwargs) -> object:
    client.environ_base["REMOTE_ADDR"] = address
    return AdminActions(client).login(**kwargs)


@pytest.fixture
def app_config():
    return {"ADMIN_LOGIN_MAX_DELAY_SECONDS": 0.2}


def test_failures_from_one_address_never_lock_the_owner_out_elsewhere(client, owner):
    """Given an attacker trying wrong passwords for the owner from one address, when
    that address is locked and keeps trying for hours, then the owner's right
    password from another address still logs in."""
    with time_machine.travel(utcnow(), tick=False) as clock:
        for _ in range(5):
            assert login_from(client, "10.6.6.6", password=WRONG).status_code == 200
        for _ in range(4):  # locked, renewed every 15 minutes for an hour
            locked = login_from(client, "10.6.6.6", password=WRONG)
            assert locked.status_code == 429
            assert "15 minutes" in locked.text
            clock.shift(timedelta(minutes=15, seconds=1))
            for _ in range(5):
                login_from(client, "10.6.6.6", password=WRONG)
        owner_client = client.application.test_client()
        assert login_from(owner_client, "192.0.2.10").status_code == 302


def test_five_failures_for_the_account_from_one_address_lock_that_pair(client, owner):
    """Given five wrong passwords for the owner from one address, then a sixth
    attempt from it, even right, gets 429 for 15 minutes; that address may still
    try another account (the pair is locked, not yet the address)."""
    with time_machine.travel(utcnow(), tick=False) as clock:
        for _ in range(5):
            assert login_from(client, "10.0.0.1", password=WRONG).status_code == 200
        locked = login_from(client, "10.0.0.1")
        assert locked.status_code == 429
        assert 890 <= int(locked.headers["Retry-After"]) <= 901
        other = login_from(client, "10.0.0.1", email="someone@lavande.example")
        assert other.status_code == 200
        clock.shift(timedelta(minutes=14))
        assert login_from(client, "10.0.0.1").status_code == 429
        clock.shift(timedelta(minutes=1, seconds=1))
        assert login_from(client, "10.0.0.1").status_code == 302


def test_ten_failures_from_one_address_lock_that_address(client, owner):
    """Given ten failures from one address over many emails, then that address is
    locked for every account, and other addresses are not."""
    for number in range(10):
        email = f"guess{number}@lavande.example"
        assert login_from(client, "10.0.0.2", email=email).status_code == 200
    assert login_from(client, "10.0.0.2").status_code == 429
    other = client.application.test_client()
    assert login_from(other, "10.9.9.9").status_code == 302


def test_failures_from_many_addresses_slow_the_account_down(client, owner):
    """Given five failures for the owner from five addresses, when the right
    password comes from a sixth, then it logs in, after a delay."""
    for number in range(5):
        address = f"10.1.0.{number + 1}"
        assert login_from(client, address, password=WRONG).status_code == 200
    started = time.monotonic()
    assert login_from(client, "10.1.0.99").status_code == 302
    assert time.monotonic() - started >= 0.2


def test_four_failures_then_the_right_password_logs_in_without_delay(client, owner):
    for _ in range(4):
        login_from(client, "10.0.0.3", password=WRONG)
    started = time.monotonic()
    assert login_from(client, "10.0.0.3").status_code == 302
    assert time.monotonic() - started < 0.2


def test_forwarded_for_is_ignored_without_trusted_proxies(client, owner):
    """A client cannot dodge its lock by claiming other addresses."""
    for number in range(5):
        client.environ_base["HTTP_X_FORWARDED_FOR"] = f"203.0.113.{number}"
        assert login_from(client, "10.0.0.4", password=WRONG).status_code == 200
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.200"
    assert login_from(client, "10.0.0.4").status_code == 429


@pytest.mark.parametrize("app_config", [{"TRUSTED_PROXIES": 1}])
def test_forwarded_for_names_the_client_behind_a_trusted_proxy(client, owner):
    """Behind one trusted proxy, failures count per forwarded client address: one
    client is locked, another one behind the same proxy is not."""
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.7"
    for _ in range(5):
        assert login_from(client, "10.0.0.5", password=WRONG).status_code == 200
    assert login_from(client, "10.0.0.5").status_code == 429
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.8"
    assert login_from(client, "10.0.0.5").status_code == 302


@pytest.mark.parametrize("app_config", [{"PASSWORD_HASH_METHOD": "scrypt"}])
def test_an_unknown_email_takes_as_long_as_a_wrong_password(app, owner):
    """Given a real password hash method, an unknown email and a wrong password for
    the owner take about the same time (median of interleaved tries)."""
    from eshop.admin.services import authenticate, create_or_reset_owner

    with app.app_context():
        create_or_reset_owner(OWNER_EMAIL, OWNER_PASSWORD)  # hashed with scrypt
        authenticate("nobody@lavande.example", WRONG)  # the dummy hash is made once
        known, unknown = [], []
        for _ in range(7):
            for email, times in ((OWNER_EMAIL, known), ("x@lavande.example", unknown)):
                started = time.perf_counter()
                assert authenticate(email, WRONG) is None
                times.append(time.perf_counter() - started)
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.7 <= ratio <= 1.3, (statistics.median(unknown), statistics.median(known))


def test_other_spellings_of_the_owner_address_count_against_the_same_pair(
    client, owner
):
    """Given wrong passwords typed with other spellings of the owner's address (case,
    spaces), then they count as failures for the owner's account from that address,
    and the sixth attempt is locked however it is spelled."""
    local, _, domain = OWNER_EMAIL.partition("@")
    spellings = [
        OWNER_EMAIL.upper(),
        f" {OWNER_EMAIL} ",
        f"{local.capitalize()}@{domain.upper()}",
        OWNER_EMAIL.title(),
        OWNER_EMAIL,
    ]
    for spelling in spellings:
        response = login_from(client, "10.0.0.3", email=spelling, password=WRONG)
        assert response.status_code == 200
    assert login_from(client, "10.0.0.3").status_code == 429


def test_an_ipv6_attacker_changing_addresses_in_its_network_is_still_locked(
    client, owner
):
    """Given ten failures from ten addresses of one IPv6 /64, then another address
    of that /64 is locked like them, and another network is not."""
    for number in range(10):
        email = f"guess{number}@lavande.example"
        response = login_from(client, f"2001:db8:6:6::{number + 1}", email=email)
        assert response.status_code == 200
    assert login_from(client, "2001:db8:6:6::ffff").status_code == 429
    other = client.application.test_client()
    assert login_from(other, "2001:db8:7:7::1").status_code == 302

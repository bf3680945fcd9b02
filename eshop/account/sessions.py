"""The member's session: a few values in Flask's ``session`` cookie (the registered,
technical one, written through the consent service), checked on each request.

It has nothing to do with Flask-Login, which holds the shop owner's login: the back
office asks Flask-Login's user loader, which knows owners only, so a member is never
an owner and an owner is never a member. The session holds the member's id, their
session stamp, when they signed in and when they were last seen:

- after ``ACCOUNT_IDLE_TIMEOUT_MINUTES`` without a request to the shop, or
  ``ACCOUNT_SESSION_MAX_HOURS`` after signing in, it ends (every request of a
  browser holding a member session is checked and counts as activity: see
  ``keep_alive``; a visitor without one costs a dictionary lookup);
- signing out gives the member a new stamp in the database, so every copy of every
  earlier session cookie stops working at its next request.
"""

from __future__ import annotations

import hmac
from enum import StrEnum

from flask import request, session

from eshop.clock import utcnow
from eshop.extensions import db

from .models import Member, new_session_stamp
from .settings import idle_timeout_seconds, session_max_seconds

SESSION_KEY = "member"
ENDED_KEY = "member_ended"  # why the last member session ended, told once
ENV_MEMBER = "lavande.account.member"  # this request's member (or None), read once
ENV_ENDED = "lavande.account.ended"  # why a session ended in this request


class Ended(StrEnum):
    """Why a member session that the browser sent was not honoured."""

    IDLE = "idle"  # no request for ACCOUNT_IDLE_TIMEOUT_MINUTES
    EXPIRED = "expired"  # ACCOUNT_SESSION_MAX_HOURS after signing in
    SIGNED_OUT = "signed_out"  # a sign-out (here or elsewhere) or an erasure


def _now() -> int:
    return int(utcnow().timestamp())


def start_session(member: Member) -> None:
    """Sign the member in: a fresh session, nothing kept from before (an owner's
    login in the same browser ends too)."""
    now = _now()
    session.clear()
    session[SESSION_KEY] = {
        "id": member.id,
        "stamp": member.session_stamp,
        "since": now,
        "seen": now,
    }
    request.environ[ENV_MEMBER] = member


def _end(reason: Ended) -> None:
    session.pop(SESSION_KEY, None)
    session[ENDED_KEY] = str(reason)  # told on the next account page
    request.environ[ENV_MEMBER] = None
    request.environ[ENV_ENDED] = reason


def _state() -> dict | None:
    state = session.get(SESSION_KEY)
    if not isinstance(state, dict):
        return None
    if not all(isinstance(state.get(k), int) for k in ("id", "since", "seen")):
        return None
    if not isinstance(state.get("stamp"), str):
        return None
    return state


def current_member() -> Member | None:
    """The signed-in member of this request, or None; ends a session that has
    been idle or open too long, or whose stamp is no longer the member's."""
    environ = request.environ
    if ENV_MEMBER in environ:
        return environ[ENV_MEMBER]
    environ[ENV_MEMBER] = None
    if SESSION_KEY not in session:
        return None
    state = _state()
    if state is None:
        _end(Ended.SIGNED_OUT)
        return None
    now = _now()
    if now - state["since"] > session_max_seconds():
        _end(Ended.EXPIRED)
        return None
    if now - state["seen"] > idle_timeout_seconds():
        _end(Ended.IDLE)
        return None
    member = db.session.get(Member, state["id"])
    if member is None or not hmac.compare_digest(
        state["stamp"].encode(), member.session_stamp.encode()
    ):
        _end(Ended.SIGNED_OUT)
        return None
    if state["seen"] != now:
        session[SESSION_KEY] = {**state, "seen": now}
    environ[ENV_MEMBER] = member
    return member


def keep_alive() -> None:
    """On any request of a browser holding a member session: check it (it may have
    ended) and count the request as activity. Nothing for anyone else: a key
    looked up in the session, which does not even mark it as read."""
    if SESSION_KEY in session:
        current_member()


def ended_reason() -> Ended | None:
    """Why the member session of this browser ended, told once: in this request,
    or in an earlier one that was not an account page."""
    reason = request.environ.get(ENV_ENDED)
    told = session.pop(ENDED_KEY, None) if ENDED_KEY in session else None
    if reason is None and told in set(Ended):
        reason = Ended(told)
    return reason


def end_every_session(member: Member) -> None:
    """Sign out: a new stamp ends this session and every copy of any other; commits."""
    member.session_stamp = new_session_stamp()
    db.session.commit()
    forget_member()


def forget_member() -> None:
    """Drop the member from this browser's session (after sign-out or erasure)."""
    session.pop(SESSION_KEY, None)
    request.environ[ENV_MEMBER] = None

"""Waiting until a browser page has finished what it started loading.

Playwright's ``networkidle`` waits for half a second with no request at all, on
every page: a walk over sixty pages spent thirty seconds in those waits. Here the
page's requests are counted as they start and end, and the wait ends when none is
open and none started or ended for a tenth of a second: a few frames, time for the
pictures a layout or a scroll brings into view to be asked for (Chromium's lazy
loading needs no page script, so this holds with JavaScript off as well).
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, field
from typing import Any

QUIET = 0.1  # seconds with no request starting or ending
POLL_MS = 10


@dataclass
class Requests:
    """The page's requests still open, and when one last started or ended."""

    open: set[Any] = field(default_factory=set)
    last_change: float = field(default_factory=time.monotonic)

    def started(self, request: Any) -> None:
        self.open.add(request)
        self.last_change = time.monotonic()

    def ended(self, request: Any) -> None:
        self.open.discard(request)
        self.last_change = time.monotonic()


_WATCHED: weakref.WeakKeyDictionary[Any, Requests] = weakref.WeakKeyDictionary()


def watch(page: Any) -> Requests:
    """Count the page's requests from now on (once per page)."""
    requests = _WATCHED.get(page)
    if requests is None:
        requests = Requests()
        # Playwright takes Python functions, not bound methods of built-in types
        page.on("request", lambda request: requests.started(request))
        page.on("requestfinished", lambda request: requests.ended(request))
        page.on("requestfailed", lambda request: requests.ended(request))
        _WATCHED[page] = requests
    return requests


def settle(page: Any, timeout: float = 15.0) -> None:
    """Wait until every request the page started since ``watch`` has ended and the
    page has asked for nothing new for ``QUIET`` seconds."""
    requests = watch(page)
    since = time.monotonic()
    deadline = since + timeout
    while requests.open or time.monotonic() - max(since, requests.last_change) < QUIET:
        if time.monotonic() > deadline:
            urls = sorted(request.url for request in requests.open)
            raise AssertionError(f"{page.url} still loading after {timeout} s: {urls}")
        page.wait_for_timeout(POLL_MS)  # Playwright delivers the page's events here


def goto_settled(page: Any, url: str) -> Any:
    """Load ``url`` and let everything it asks for arrive; the page's response."""
    watch(page)
    response = page.goto(url)
    settle(page)
    return response

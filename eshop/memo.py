"""The shop's one kind of in-process memo: bounded, least-recently-used, thread-safe,
and counting its own hits and misses.

How to keep a result, in order of preference:

1. Don't. A memo stays only if the storefront benchmark shows it is worth at least
   2 % on some page (README, performance section); plain code is the default.
2. A pure function of hashable arguments: ``functools.lru_cache(maxsize=N)``, which
   is bounded and thread-safe, and ``fn.cache_info()`` reports hits and misses.
3. Otherwise (a key the arguments do not give, a memo emptied on an outside event),
   a ``Memo``: ``memo = Memo(maxsize=2048)``, then
   ``memo.get_or_build(key, lambda: parse(payload))``, ``memo.clear()`` and
   ``memo.info()`` (``MemoInfo(hits, misses, maxsize, currsize)``).

When full, a memo forgets its least recently used entry, never everything, so it
goes on helping when many visitors come. ``build`` runs outside the lock: a slow
build holds no one up, and two threads missing the same key may both build it,
which is harmless for the pure values memos hold.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, NamedTuple, TypeVar

V = TypeVar("V")


class MemoInfo(NamedTuple):
    """A memo's figures, shaped like ``functools.lru_cache``'s ``cache_info()``."""

    hits: int
    misses: int
    maxsize: int
    currsize: int


class Memo(Generic[V]):
    """A bounded map from hashable keys to values, dropping the least recently used
    entry when full."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self.entries: OrderedDict[Hashable, V] = OrderedDict()
        self.lock = threading.Lock()

    def get_or_build(self, key: Hashable, build: Callable[[], V]) -> V:
        """The value kept for ``key``, or ``build()``'s, kept for next time."""
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                self.hits += 1
                return self.entries[key]
            self.misses += 1
        value = build()
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            if len(self.entries) > self.maxsize:
                self.entries.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every entry (what they came from changed); the figures stay."""
        with self.lock:
            self.entries.clear()

    def info(self) -> MemoInfo:
        with self.lock:
            return MemoInfo(self.hits, self.misses, self.maxsize, len(self.entries))

    def __len__(self) -> int:
        return len(self.entries)

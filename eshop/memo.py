"""The shop's one kind of in-process memo: bounded, least-recently-used, thread-safe,
and counting its own hits and misses.

How to keep a result, in order of preference:

1. Don't. Keep a memo only when the storefront benchmark shows it is worth at least
   2 % on some page (README, performance section); plain code is the default.
2. A pure function of hashable arguments: ``functools.lru_cache(maxsize=N)``. It is
   bounded, thread-safe, and ``fn.cache_info()`` reports hits and misses.
3. A value kept under a key the arguments do not give directly, or a memo that must
   be emptied on an outside event (the catalogue changed): a ``Memo``::

       PARSED = Memo(maxsize=2048)
       state = PARSED.get_or_build(key, lambda: parse(payload))
       PARSED.info()  # MemoInfo(hits=..., misses=..., maxsize=2048, currsize=...)

When full, a memo forgets its least recently used entry, never everything: it goes
on helping when many visitors come. ``build`` runs outside the lock, so a slow build
holds no one up; two threads missing the same key at once may both build it, and the
last one's value is kept, which is harmless for the pure values memos hold.
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
        if maxsize < 1:
            raise ValueError("a memo keeps at least one entry")
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
        self.put(key, value)
        return value

    def put(self, key: Hashable, value: V) -> None:
        """Keep ``value`` for ``key``, forgetting the least recently used if full."""
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            if len(self.entries) > self.maxsize:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every entry (the data they came from changed); figures stay."""
        with self.lock:
            self.entries.clear()

    def info(self) -> MemoInfo:
        """Hits, misses, bound and current size."""
        with self.lock:
            return MemoInfo(self.hits, self.misses, self.maxsize, len(self.entries))

    def __len__(self) -> int:
        return len(self.entries)

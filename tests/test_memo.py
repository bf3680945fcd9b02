"""The shop's one memo: bounded, least recently used first out, counting hits."""

from __future__ import annotations

import threading

from eshop.memo import Memo, MemoInfo


def test_a_full_memo_forgets_the_least_recently_used_entry_only():
    memo: Memo[str] = Memo(maxsize=2)
    memo.get_or_build("a", lambda: "A")
    memo.get_or_build("b", lambda: "B")
    memo.get_or_build("a", lambda: "not built")  # "a" is now the most recent

    memo.get_or_build("c", lambda: "C")

    assert memo.get_or_build("a", lambda: "rebuilt") == "A"
    assert memo.get_or_build("b", lambda: "rebuilt") == "rebuilt"
    assert len(memo) == 2


def test_a_memo_reports_its_hits_and_misses():
    memo: Memo[int] = Memo(maxsize=8)
    for key in (1, 2, 1, 1, 3):
        memo.get_or_build(key, lambda key=key: key * 10)

    assert memo.info() == MemoInfo(hits=2, misses=3, maxsize=8, currsize=3)


def test_clearing_forgets_entries_but_keeps_the_figures():
    memo: Memo[int] = Memo(maxsize=8)
    memo.get_or_build(1, lambda: 1)
    memo.clear()

    assert memo.info() == MemoInfo(hits=0, misses=1, maxsize=8, currsize=0)


def test_a_memo_stays_bounded_under_many_threads():
    memo: Memo[int] = Memo(maxsize=64)

    def fill(start: int) -> None:
        for key in range(start, start + 2000):
            memo.get_or_build(key % 500, lambda key=key: key)

    threads = [threading.Thread(target=fill, args=(n * 7,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    info = memo.info()
    assert info.currsize <= 64
    assert info.hits + info.misses == 8 * 2000

"""Audience benchmark: the storefront with and without audience consent, same run.

Reuses the storefront benchmark's database, gunicorn server and wrk driver. Each page
is measured in short runs that alternate a visitor who refused audience measurement
and one who accepted it (every request then records events, written in batches by a
background thread); the ratio printed is the median over the pairs of runs, so a
burst of load from elsewhere spoils one pair, not the result. The issue's target:
within 10 %, zero errors. Finally it counts the events written. Before that, the
same pages through the Flask test client, request by request interleaved.

    .venv/bin/python benchmarks/audience.py [--duration 10] [--connections 32]
        [--products 10000] [--rounds 8]
"""

from __future__ import annotations

import argparse
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import storefront  # noqa: E402  (the sibling benchmark script)

TOLERANCE = 0.10


def count_events(workdir: Path, secret: str) -> int:
    from eshop import create_app
    from eshop.extensions import db
    from eshop.privacy.models import AudienceEvent

    app = create_app(storefront.settings(workdir, secret))
    with app.app_context():
        return db.session.execute(
            db.select(db.func.count()).select_from(AudienceEvent)
        ).scalar_one()


def in_process_cost(
    workdir: Path, secret: str, cookies: dict[str, str], paths: list[str], rounds: int
) -> dict[str, float]:
    """Median microseconds per request through the Flask test client, the two
    visitors interleaved request by request, so machine noise hits both alike."""
    from eshop import create_app
    from eshop.privacy.audience import flush_audience_buffer

    app = create_app(storefront.settings(workdir, secret))
    client = app.test_client()
    timings: dict[str, list[float]] = {"refused": [], "accepted": []}
    for index in range(rounds):
        path = paths[index % len(paths)]
        # alternate who goes first: the second request on a path finds it cached
        order = ("refused", "accepted") if index % 2 else ("accepted", "refused")
        for who in order:
            started = time.perf_counter()
            response = client.get(path, headers={"Cookie": cookies[who]})
            timings[who].append(time.perf_counter() - started)
            assert response.status_code == 200, (path, response.status_code)
    flush_audience_buffer(app)
    return {who: statistics.median(t) * 1e6 for who, t in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=3, help="seconds per run")
    parser.add_argument("--warmup", type=int, default=1, help="seconds before each")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=8, help="run pairs per page")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="lavande-audience-bench-"))
    secret = secrets.token_hex(32)
    shop = None
    try:
        storefront.build_database(workdir, args.products, secret)
        cookies = {
            "refused": storefront.visitor_cookies(workdir, secret, audience=False),
            "accepted": storefront.visitor_cookies(workdir, secret, audience=True),
        }
        for name, paths in (
            (
                "/products/<slug>",
                [
                    f"/products/{s}"
                    for s in storefront.sample_slugs(
                        workdir, secret, random.Random(3), 200
                    )
                ],
            ),
            ("/", ["/"]),
        ):
            cost = in_process_cost(workdir, secret, cookies, paths, 600)
            print(
                f"in-process {name}: median {cost['refused']:.0f} µs per request "
                f"refused, {cost['accepted']:.0f} µs accepted (time ratio "
                f"{cost['accepted'] / cost['refused']:.1%}; 600 interleaved pairs)"
            )
        shop, base = storefront.serve(
            "eshop:create_app()", workdir, storefront.environment(workdir, secret)
        )
        rng = random.Random(11)
        slugs = [
            f"/products/{slug}"
            for slug in storefront.sample_slugs(workdir, secret, rng, 3000)
        ]
        pages = max(1, args.products // 24)
        scenarios = [
            ("/", ["/"]),
            (
                "/products (random pages)",
                [f"/products?page={n}" for n in range(1, pages + 1)],
            ),
            ("/products/<slug> (random slugs)", slugs),
            (
                "/products?q= (search)",
                [f"/products?q={urllib.request.quote(q)}" for q in storefront.SEARCHES],
            ),
        ]
        print(
            f"wrk: 2 threads, {args.connections} connections, {args.duration}s each "
            f"after {args.warmup}s warm-up, {args.rounds} pairs of runs; gunicorn 2 "
            "sync workers; SQLite"
        )
        header = (
            f"{'page':34} {'refused r/s':>12} {'accepted r/s':>13} {'ratio*':>7} "
            f"{'p99 ms (r/a)':>15} {'errors (r/a)':>12}"
        )
        print(header)
        print("-" * len(header))
        worst = 1.0
        errors = 0
        for name, paths in scenarios:
            measured: dict[str, list] = {"refused": [], "accepted": []}
            for pair in range(args.rounds):
                first_refused = pair % 2 == 0
                for who in (
                    ("refused", "accepted")
                    if first_refused
                    else ("accepted", "refused")
                ):
                    run = (f"{name}-{who}", base, paths, cookies[who], args.connections)
                    storefront.run_wrk(*run, args.warmup, workdir)
                    measured[who].append(
                        storefront.run_wrk(*run, args.duration, workdir)
                    )
            rps = {
                w: statistics.median(r.rps for r in rs) for w, rs in measured.items()
            }
            p99 = {w: max(r.p99_ms for r in rs) for w, rs in measured.items()}
            wrong = {
                who: sum(r.errors + r.non2xx for r in rs)
                for who, rs in measured.items()
            }
            errors += wrong["accepted"] + wrong["refused"]
            # the median of paired runs: a burst of load elsewhere hits one pair
            ratio = statistics.median(
                a.rps / r.rps
                for r, a in zip(measured["refused"], measured["accepted"], strict=True)
            )
            worst = min(worst, ratio)
            print(
                f"{name:34} {rps['refused']:12.0f} {rps['accepted']:13.0f} "
                f"{ratio:7.1%} {p99['refused']:7.1f}/{p99['accepted']:<7.1f} "
                f"{wrong['refused']:>5}/{wrong['accepted']:<5}"
            )
        print("* median of the per-pair ratios; r/s columns are medians")
        time.sleep(6)  # the writer threads flush every 5 seconds
        shop.terminate()
        shop.wait()
        shop = None
        events = count_events(workdir, secret)
        verdict = "ok" if worst >= 1 - TOLERANCE and errors == 0 else "MISS"
        print(
            f"worst ratio {worst:.1%} (target ≥ {1 - TOLERANCE:.0%}), {errors} errors, "
            f"{events} audience events written: {verdict}"
        )
    finally:
        if shop is not None and shop.poll() is None:
            shop.terminate()
            shop.wait()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Storefront benchmark: the shop beside a plain Flask hello-world, served the same way.

Builds a 10,000-product SQLite database in a temporary folder, serves it with gunicorn
(2 sync workers) on 127.0.0.1, drives load with wrk (random pages, slugs and searches,
each request carrying a realistic signed consent, cart and session cookie) and prints
requests/second and p50/p99 latency for each page, as a ratio to hello-world loaded
in turns with it (the machine's speed drifts). Also times reading and verifying the
cart and consent cookies.

    .venv/bin/python benchmarks/storefront.py [--duration 10] [--connections 32]
        [--with-audience-consent] [--products 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VENV_BIN = Path(sys.executable).parent
WRK = shutil.which("wrk")
SEARCHES = [
    "lavande",
    "miel",
    "savon",
    "huile essentielle",
    "bougie",
    "coffret",
    "lin",
    "romarin",
    "tisane",
    "lavandin",
    "honey",
    "soap",
    "candle",
    "gift box",
    "provence",
    "verveine",
    "creme mains",
    "eau de linge",
    "sachet",
    "olive",
]
VARIANTS = [
    ("édition {n}", "edition {n}"),
    ("cueillette {n}", "harvest {n}"),
    ("lot n° {n}", "batch no. {n}"),
    ("atelier {n}", "workshop {n}"),
    ("série {n}", "series {n}"),
]
HELLO_APP = """
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
"""
LUA = """
local paths = {%s}
local cookie = %s
local counter = 0
request = function()
  local path = paths[math.random(#paths)]
  return wrk.format("GET", path,
    {["Cookie"] = cookie, ["Accept-Language"] = "fr-FR,fr;q=0.9"})
end
done = function(summary, latency, requests)
  local errors = summary.errors
  local quantiles = {}
  for _, q in ipairs({%s}) do
    quantiles[#quantiles + 1] = string.format("%%d", latency:percentile(q))
  end
  io.write(string.format("RESULT {\\"requests\\": %%d, \\"duration_us\\": %%d, "
    .. "\\"p50_us\\": %%d, \\"p99_us\\": %%d, \\"errors\\": %%d, "
    .. "\\"non2xx\\": %%d, \\"quantiles_us\\": [%%s]}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.connect + errors.read + errors.write + errors.timeout, errors.status,
    table.concat(quantiles, ", ")))
end
"""


# Where wrk's latency distribution is sampled, finer towards the tail, so that the
# slices of one page can be merged into one distribution (``combined``).
QUANTILES = [q / 2 for q in range(1, 190)] + [95 + q / 10 for q in range(0, 51)]


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    non2xx: int
    load: float  # the machine's 1-minute load average when the run ended
    requests: int = 0
    quantiles_ms: list[float] = field(default_factory=list)  # at QUANTILES
    worst_slice_p99_ms: float = 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_database(workdir: Path, products: int, secret: str) -> None:
    """Migrate a fresh SQLite database and fill it with ``products`` products."""
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from eshop import create_app
    from eshop.catalog.demo_catalog import CATEGORIES, PRODUCTS
    from eshop.catalog.demo_images import picture_file
    from eshop.catalog.images import storage_folder, thumbnail_name
    from eshop.catalog.models import Category, Product, ProductImage
    from eshop.clock import utcnow
    from eshop.extensions import db

    app = create_app(settings(workdir, secret))
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        category_ids = {}
        for position, demo in enumerate(CATEGORIES):
            category = Category(
                slug=demo.slug,
                name_fr=demo.name_fr,
                name_en=demo.name_en,
                position=position,
            )
            db.session.add(category)
            db.session.flush()
            category_ids[demo.slug] = category.id
        pictures = {}
        for demo in PRODUCTS[:: max(1, len(PRODUCTS) // 12)]:
            drawing = picture_file(demo.picture).read_bytes()  # the demo's own
            name = f"bench-{demo.slug}.svg"
            (storage_folder() / name).write_bytes(drawing)
            (storage_folder() / thumbnail_name(name)).write_bytes(drawing)
            pictures.setdefault(demo.category, []).append(name)
        rng = random.Random(7)
        now = utcnow()
        rows = []
        for n in range(products):
            demo = PRODUCTS[n % len(PRODUCTS)]
            variant_fr, variant_en = VARIANTS[n % len(VARIANTS)]
            rows.append(
                {
                    "slug": f"{demo.slug}-{n}",
                    "category_id": category_ids[demo.category],
                    "name_fr": f"{demo.name_fr}, {variant_fr.format(n=n)}",
                    "name_en": f"{demo.name_en}, {variant_en.format(n=n)}",
                    "description_fr": demo.description_fr,
                    "description_en": demo.description_en,
                    "price_cents": demo.price_cents + rng.randrange(0, 900, 10),
                    "vat_rate_bp": 550 if demo.category == "epicerie" else 2000,
                    "stock": rng.choice([0, 2, 5, 12, 40, 80]),
                    "active": True,
                    "featured": n % 97 == 0,
                    "sponsored": n % 1250 == 0,  # a handful, as in a real shop
                    "created_at": now,
                    "updated_at": now,
                }
            )
        db.session.execute(insert(Product), rows)
        ids = db.session.execute(db.select(Product.id, Product.slug)).all()
        fallback = next(iter(pictures.values()))
        image_rows = []
        for product_id, slug in ids:
            category_slug = PRODUCTS[int(slug.rsplit("-", 1)[1]) % len(PRODUCTS)]
            names = pictures.get(category_slug.category, fallback)
            image_rows.append(
                {
                    "product_id": product_id,
                    "filename": names[product_id % len(names)],
                    "alt_fr": slug,
                    "alt_en": slug,
                    "position": 0,
                }
            )
        db.session.execute(insert(ProductImage), image_rows)
        db.session.commit()
        db.engine.dispose()


def settings(workdir: Path, secret: str) -> dict:
    from config import DEMO_SHOP_IDENTITY  # production needs a seller's identity

    return {
        **DEMO_SHOP_IDENTITY,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.db'}",
        "INSTANCE_PATH": str(workdir / "instance"),
        "SECRET_KEY": secret,
    }


def environment(workdir: Path, secret: str) -> dict[str, str]:
    from config import DEMO_SHOP_IDENTITY  # production needs a seller's identity

    return {
        **os.environ,
        **DEMO_SHOP_IDENTITY,
        "LAVANDE_ENV": "production",
        "SECRET_KEY": secret,
        "PUBLIC_BASE_URL": "https://127.0.0.1",  # production wants https; wrk's host
        "TRUSTED_HOSTS": "127.0.0.1,localhost",  # and the test client's, in-process
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
        "LAVANDE_INSTANCE_PATH": str(workdir / "instance"),
        "PYTHONPATH": str(ROOT),
    }


@contextmanager
def patched_environ(values: dict[str, str]) -> Iterator[None]:
    """This process's environment set to ``values`` for a while."""
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def visitor_cookies(workdir: Path, secret: str, audience: bool) -> str:
    """The Cookie header of a returning visitor: consent, cart and session."""
    from flask import make_response, session
    from flask_wtf.csrf import generate_csrf

    from eshop import consent, create_app
    from eshop.consent.registry import Category

    app = create_app({**settings(workdir, secret), "SESSION_COOKIE_SECURE": False})
    accepted = {Category.AUDIENCE} if audience else set()
    with app.test_request_context("/"):
        response = make_response("")
        consent.record_decision(response, accepted, source="preferences")
        cart = "12.2.1250,40.1.890,311.3.450,2048.1.3900"
        try:
            from eshop.cart.codec import decode, encode

            cart = encode(decode(cart))
        except ImportError:
            pass
        consent.set_cookie(response, "cart", cart)
        if audience:
            consent.set_cookie(response, "visitor", secrets.token_urlsafe(16))
        generate_csrf()
        app.session_interface.save_session(app, session, response)
        pairs = (
            header.split(";", 1)[0].split("=", 1)
            for header in response.headers.getlist("Set-Cookie")
        )
        cookies = {name: value for name, value in pairs if value}  # not deletions
    # A few visits, as a browser makes them, complete the session (Flask-Login
    # and others add to it), so the measured requests do not rewrite it.
    client = app.test_client(use_cookies=False)
    for path in ("/products", "/", "/products"):
        header = "; ".join(f"{name}={value}" for name, value in cookies.items())
        visit = client.get(path, headers={"Cookie": header})
        for set_cookie in visit.headers.getlist("Set-Cookie"):
            name, value = set_cookie.split(";", 1)[0].split("=", 1)
            if value:
                cookies[name] = value
            else:  # a deletion
                cookies.pop(name, None)
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def first_visit_cookies(workdir: Path, secret: str, count: int) -> list[str]:
    """``count`` Cookie headers, each with its own consent decision and cart: what
    a worker sees the first time it meets each visitor."""
    from flask import make_response

    from eshop import consent, create_app
    from eshop.cart.codec import decode, encode

    with patched_environ(environment(workdir, secret)):
        app = create_app()
    headers = []
    for n in range(count):
        with app.test_request_context("/"):
            response = make_response("")
            consent.record_decision(response, set(), source="preferences")
            lines = f"{5000 + n}.2.1250,40.1.890,311.3.450,2048.1.3900"
            cart = encode(decode(lines))
            consent.set_cookie(response, "cart", cart)
            pairs = (
                header.split(";", 1)[0]
                for header in response.headers.getlist("Set-Cookie")
            )
            headers.append("; ".join(pairs))
    return headers


def time_cookie_reading(workdir: Path, secret: str, cookies: list[str]) -> float:
    """Microseconds a request spends reading and verifying the cart and consent
    cookies, from parsing the Cookie header to the decoded values.

    ``cookies`` holds the Cookie header of each request: one header again and
    again for a returning visitor (the worker has verified those cookies before),
    distinct ones for first visits. Each read is timed on its own, in a fresh
    request context pushed beforehand, and the median of the quietest of five
    blocks is reported: building the contexts is left out, and the machine's
    speed drifts while a benchmark runs.
    """
    from eshop import consent, create_app

    with patched_environ(environment(workdir, secret)):
        app = create_app()
    medians = []
    block = len(cookies) // 5
    for start in range(0, block * 5, block):
        samples = []
        for cookie in cookies[start : start + block]:
            context = app.test_request_context("/", headers={"Cookie": cookie})
            context.push()
            try:
                begin = time.perf_counter_ns()
                consent.current_state()
                cart = consent.read_cookie("cart")
                samples.append(time.perf_counter_ns() - begin)
            finally:
                context.pop()
            assert cart is not None
        samples.sort()
        medians.append(samples[len(samples) // 2] / 1000)
    return min(medians)


def cpu_per_request(
    workdir: Path, secret: str, cookie: str, scenarios: list[tuple[str, list[str]]]
) -> dict[str, float]:
    """Milliseconds of CPU per request in this process, after one pass over every
    path (the caches warm): a figure the machine's other load does not distort."""
    from flask import Flask

    from eshop import create_app

    hello = Flask("hello")
    hello.add_url_rule("/", "hello", lambda: "Hello, World!")
    with patched_environ(environment(workdir, secret)):
        shop = create_app()  # configured from the environment, as gunicorn does
    headers = {"Cookie": cookie, "Accept-Language": "fr-FR,fr;q=0.9"}
    figures = {}
    runs = [("hello-world", hello, ["/"])]
    runs += [(name, shop, paths) for name, paths in scenarios]
    for name, app, paths in runs:
        client = app.test_client(use_cookies=False)
        sample = (paths[:400] * 400)[:400]
        for path in sample:
            client.get(path, headers=headers)
        rounds = []
        for _ in range(3):  # the best of three: the least disturbed by other load
            start = time.process_time()
            for path in sample:
                client.get(path, headers=headers)
            rounds.append((time.process_time() - start) / len(sample) * 1000)
        figures[name] = min(rounds)
    return figures


def serve(
    app_spec: str, workdir: Path, env: dict[str, str]
) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "--workers",
            "2",
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--chdir",
            str(workdir),
            app_spec,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/", timeout=1).read()
            return process, base
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"gunicorn did not start for {app_spec}")


def run_wrk(
    name: str,
    base: str,
    paths: list[str],
    cookie: str,
    connections: int,
    seconds: int,
    workdir: Path,
) -> Result:
    """``seconds`` of load on ``paths`` (picked at random by each request)."""
    script = workdir / f"{name.replace('/', '_')}.lua"
    script.write_text(
        LUA
        % (
            ", ".join(json.dumps(p) for p in paths),
            json.dumps(cookie),
            ", ".join(str(q) for q in QUANTILES),
        )
    )
    command = [WRK, "-t", "2", "-c", str(connections), "--latency"]
    output = subprocess.run(
        [*command, "-s", str(script), "-d", f"{seconds}s", base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(ln for ln in output.splitlines() if ln.startswith("RESULT "))
    data = json.loads(line[len("RESULT ") :])
    return Result(
        name,
        data["requests"] / (data["duration_us"] / 1e6),
        data["p50_us"] / 1000,
        data["p99_us"] / 1000,
        data["errors"],
        data["non2xx"],
        os.getloadavg()[0],
        data["requests"],
        [us / 1000 for us in data["quantiles_us"]],
        data["p99_us"] / 1000,
    )


def compare_with_hello(
    name: str,
    paths: list[str],
    base: str,
    hello_base: str,
    cookie: str,
    args: argparse.Namespace,
    workdir: Path,
) -> tuple[Result, Result]:
    """The page and hello-world, loaded in turns.

    The shared machine's speed drifts by 10-40 % within a run, so after warming
    the page's caches, ``--slices`` short runs of hello-world and of the page
    alternate, and each is summed over its slices: both see the same drift.
    """
    run_wrk(name, base, paths, cookie, args.connections, args.warmup, workdir)
    slice_seconds = max(1, args.duration // args.slices)
    pairs = []
    for _ in range(args.slices):
        hello = run_wrk(
            "hello", hello_base, ["/"], cookie, args.connections, slice_seconds, workdir
        )
        page = run_wrk(
            name, base, paths, cookie, args.connections, slice_seconds, workdir
        )
        pairs.append((hello, page))
    return combined("hello-world", [h for h, _ in pairs]), combined(
        name, [p for _, p in pairs]
    )


def combined(name: str, slices: list[Result]) -> Result:
    """One result for several slices: mean rate, and p50 and p99 over all their
    requests (each slice's sampled distribution weighted by its requests)."""
    weighted = []
    for result in slices:
        previous = 0.0
        for q, latency in zip(QUANTILES, result.quantiles_ms, strict=True):
            weighted.append((latency, (q - previous) / 100 * result.requests))
            previous = q
    weighted.sort()
    total = sum(weight for _, weight in weighted)

    def percentile(p: float) -> float:
        running = 0.0
        for latency, weight in weighted:
            running += weight
            if running >= total * p / 100:
                return latency
        return weighted[-1][0]

    return Result(
        name,
        sum(result.rps for result in slices) / len(slices),
        percentile(50),
        percentile(99),
        sum(result.errors for result in slices),
        sum(result.non2xx for result in slices),
        slices[-1].load,
        sum(result.requests for result in slices),
        [],
        max(result.p99_ms for result in slices),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--duration", type=int, default=12, help="measured seconds per page"
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=20,
        help="seconds of load on a page before measuring it: with the default, each "
        "worker has rendered each of the 3,000 product pages (the steady state); "
        "--warmup 8 shows a worker's first seconds, when many are rendered anew",
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--slices",
        type=int,
        default=2,
        help="turns of hello-world and page that share the measured seconds",
    )
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument(
        "--with-audience-consent",
        action="store_true",
        help="the visitor accepted audience measurement",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args()
    if WRK is None:
        sys.exit(
            "This benchmark drives load with wrk, which is not installed: "
            "sudo apt-get install wrk (Debian, Ubuntu), brew install wrk (macOS)."
        )

    workdir = Path(tempfile.mkdtemp(prefix="lavande-bench-"))
    secret = secrets.token_hex(32)
    processes: list[subprocess.Popen] = []
    try:
        started = time.perf_counter()
        build_database(workdir, args.products, secret)
        print(
            f"database: {args.products} products in "
            f"{time.perf_counter() - started:.1f}s ({workdir})"
        )
        cookie = visitor_cookies(workdir, secret, args.with_audience_consent)
        print(f"visitor cookie header: {len(cookie)} bytes")
        cookie_us = time_cookie_reading(workdir, secret, [cookie] * 5000)
        first_visit_us = time_cookie_reading(
            workdir, secret, first_visit_cookies(workdir, secret, 1000)
        )

        (workdir / "hello_app.py").write_text(HELLO_APP)
        hello, hello_base = serve(
            "hello_app:app", workdir, environment(workdir, secret)
        )
        processes.append(hello)
        shop, base = serve("eshop:create_app()", workdir, environment(workdir, secret))
        processes.append(shop)
        pages = max(1, args.products // 24)
        rng = random.Random(11)
        slugs = [
            f"/products/{demo_slug}"
            for demo_slug in sample_slugs(workdir, secret, rng, 3000)
        ]
        scenarios = [
            (
                "/products (random pages)",
                [f"/products?page={n}" for n in range(1, pages + 1)],
            ),
            ("/products/<slug> (random slugs)", slugs),
            (
                "/products?q= (search)",
                [f"/products?q={urllib.request.quote(q)}" for q in SEARCHES],
            ),
        ]
        # The machine's speed drifts during a run (shared CPUs): each page is
        # compared with hello-world measured just before it.
        run_wrk("hello", hello_base, ["/"], cookie, args.connections, 2, workdir)
        runs = [
            compare_with_hello(name, paths, base, hello_base, cookie, args, workdir)
            for name, paths in scenarios
        ]
        for process in (hello, shop):
            process.terminate()
            process.wait()
        cpu = cpu_per_request(workdir, secret, cookie, scenarios)
        report(runs, cookie_us, first_visit_us, args)
        report_cpu(cpu)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def sample_slugs(
    workdir: Path, secret: str, rng: random.Random, count: int
) -> list[str]:
    from eshop import create_app
    from eshop.catalog.models import Product
    from eshop.extensions import db

    with create_app(settings(workdir, secret)).app_context():
        slugs = list(db.session.execute(db.select(Product.slug)).scalars())
    return rng.sample(slugs, min(count, len(slugs)))


TARGETS = {
    "/products (random pages)": 0.30,
    "/products/<slug> (random slugs)": 0.40,
    "/products?q= (search)": 0.15,
}


def report(
    runs: list[tuple[Result, Result]],
    cookie_us: float,
    first_visit_us: float,
    args: argparse.Namespace,
) -> None:
    print()
    print(
        f"wrk: 2 threads, {args.connections} connections, {args.duration}s per page "
        f"after {args.warmup}s warm-up, in {args.slices} slices alternating with "
        f"hello-world; gunicorn 2 sync workers; "
        f"audience consent: {'yes' if args.with_audience_consent else 'no'}"
    )
    header = (
        f"{'page':34} {'req/s':>9} {'hello':>7} {'ratio':>7} {'target':>7} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'worst':>7} {'hello p99':>9} {'errors':>7} "
        f"{'load':>5}"
    )
    print(header)
    print("-" * len(header))
    for baseline, result in runs:
        ratio = result.rps / baseline.rps
        target = TARGETS.get(result.name, 0)
        mark = "ok" if ratio >= target and result.p99_ms < 50 else "MISS"
        errors = result.errors + result.non2xx + baseline.errors + baseline.non2xx
        print(
            f"{result.name:34} {result.rps:9.0f} {baseline.rps:7.0f} {ratio:7.1%} "
            f"{target:7.0%} {result.p50_ms:8.2f} {result.p99_ms:8.2f} "
            f"{result.worst_slice_p99_ms:7.2f} {baseline.p99_ms:9.2f} {errors:7d} "
            f"{result.load:5.1f}  {mark}"
        )
    print(
        f"reading + verifying cart and consent cookies: {cookie_us:.1f} µs per "
        f"request, median (target < 60 µs); {first_visit_us:.1f} µs the first "
        f"time a worker sees them"
    )
    print(
        "p50, p99: over all the page's measured requests (its slices' distributions "
        "merged); worst: the highest p99 of a single slice; hello p99: hello-world's "
        "over its slices, the tail the machine itself adds at this load"
    )
    print(
        f"load: the machine's 1-minute load average after each run, on "
        f"{os.cpu_count()} CPUs (wrk, gunicorn and anything else share them)"
    )


def report_cpu(cpu: dict[str, float]) -> None:
    print()
    print(
        "in-process CPU per request, caches warm (no server, so hello-world's share "
        "of the work is smaller: the targets apply to the wrk figures above):"
    )
    baseline = cpu["hello-world"]
    for name, milliseconds in cpu.items():
        ratio = baseline / milliseconds
        print(f"  {name:34} {milliseconds:7.3f} ms  {ratio:7.1%} of hello-world")
    print(f"load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()

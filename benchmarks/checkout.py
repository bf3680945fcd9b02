"""Checkout benchmark: whole guest checkouts per second through HTTP with gunicorn.

For SQLite (a file in a temporary folder) and PostgreSQL (a database it creates and
drops), it migrates an empty database, adds 50 products, serves the shop with gunicorn
(2 sync workers) on 127.0.0.1, and runs client processes that each repeat a real
checkout for a bounded time: POST /cart/add, GET /checkout, POST /checkout (CSRF
token, checkout token, signed cart cookie, all as a browser would). Two modes:
``place`` opens the checkout forms first and times only the order-placing POSTs
(orders placed per second); ``flow`` times the whole add-open-place sequence. It
prints checkouts/second, the latency of the placing POST, and checks that the stock
sold equals the order lines written and every success is one order.

    .venv/bin/python benchmarks/checkout.py [--duration 10] [--clients 4]
        [--databases sqlite,postgresql] [--modes place,flow] [--prepared 200]
        [--postgres postgresql://127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VENV_BIN = Path(sys.executable).parent
PRODUCTS = 50
STOCK = 1_000_000
ADDRESS = {
    "email": "bench@example.org",
    "full_name": "Camille Bench",
    "street": "1 place de l'Horloge",
    "postal_code": "84000",
    "city": "Avignon",
    "country": "FR",
    "phone": "",
    "shipping_method": "standard",
    "payment_method": "bank_transfer",
    "accept_terms": "y",
}
HIDDEN = re.compile(r'<input [^>]*type="hidden"[^>]*>')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the database -----------------------------------------------------------------


def prepare_database(url: str, instance: Path, secret: str) -> list[int]:
    """Migrate and seed the database; return the product ids."""
    os.environ["LAVANDE_ENV"] = "production"
    from flask_migrate import upgrade

    from config import DEMO_SHOP_IDENTITY  # production needs a seller's identity
    from eshop import create_app
    from eshop.catalog.models import Category, Product
    from eshop.extensions import db

    app = create_app(
        {
            **DEMO_SHOP_IDENTITY,
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": secret,
            "PUBLIC_BASE_URL": "https://127.0.0.1",
        }
    )
    with app.app_context():
        upgrade(revision="heads")
        category = Category(slug="bench", name_fr="Banc", name_en="Bench")
        db.session.add(category)
        for n in range(PRODUCTS):
            db.session.add(
                Product(
                    slug=f"bench-{n}",
                    category=category,
                    name_fr=f"Savon {n}",
                    name_en=f"Soap {n}",
                    price_cents=500 + 37 * n,
                    stock=STOCK,
                )
            )
        db.session.commit()
        ids = list(db.session.execute(db.select(Product.id)).scalars())
        db.engine.dispose()
    return ids


def sold_and_written(url: str, instance: Path, secret: str) -> tuple[int, int, int]:
    """(units taken from stock, units in order lines, orders) after the run."""
    from config import DEMO_SHOP_IDENTITY  # production needs a seller's identity
    from eshop import create_app
    from eshop.catalog.models import Product
    from eshop.extensions import db
    from eshop.orders.models import Order, OrderLine

    app = create_app(
        {
            **DEMO_SHOP_IDENTITY,
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": secret,
            "PUBLIC_BASE_URL": "https://127.0.0.1",
        }
    )
    with app.app_context():
        left = db.session.scalar(db.select(db.func.sum(Product.stock)))
        lines = db.session.scalar(db.select(db.func.sum(OrderLine.quantity))) or 0
        orders = db.session.scalar(db.select(db.func.count(Order.id)))
        db.engine.dispose()
    return PRODUCTS * STOCK - left, lines, orders


# --- the server -------------------------------------------------------------------


def production_environment(url: str, instance: Path, secret: str) -> dict:
    """The environment of a production server on this machine: https links, and the
    loopback host as the one trusted host (production refuses anything else)."""
    from config import DEMO_SHOP_IDENTITY  # production needs a seller's identity

    env = {
        **os.environ,
        **DEMO_SHOP_IDENTITY,
        "LAVANDE_ENV": "production",
        "SECRET_KEY": secret,
        "DATABASE_URL": url,
        "LAVANDE_INSTANCE_PATH": str(instance),
        "PUBLIC_BASE_URL": "https://127.0.0.1",
        "TRUSTED_HOSTS": "127.0.0.1",
    }
    env.pop("MAIL_SERVER", None)
    return env


def start_gunicorn(env: dict, port: int, workers: int = 2) -> subprocess.Popen:
    """gunicorn serving the shop on 127.0.0.1:port, once /healthz answers."""
    server = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "eshop:create_app()",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise RuntimeError("gunicorn did not start within 60 seconds")


def worker_cpu_seconds(server_pid: int) -> float:
    """CPU time (user + system) used so far by gunicorn's workers: a figure that
    does not depend on what else the machine is doing."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == server_pid:  # the parent pid
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


# --- a shopper --------------------------------------------------------------------


class Shopper:
    """One browser: keeps its cookies and one keep-alive connection."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {"Accept-Language": "fr-FR", "Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            pair, _, attributes = header.partition(";")
            name, _, value = pair.partition("=")
            if "Max-Age=0" in attributes:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value.strip()
        return response.status, response.getheader("Location") or "", text

    def add_to_cart(self, product_id: int, csrf: str) -> bool:
        status, _, _ = self.request(
            "POST",
            "/cart/add",
            {"product_id": product_id, "quantity": 1, "csrf_token": csrf},
        )
        return status == 303

    def open_checkout(self) -> dict[str, str]:
        _, _, page = self.request("GET", "/checkout")
        form = dict(ADDRESS)
        for tag in HIDDEN.findall(page.split('class="checkout__form"', 1)[-1]):
            name = re.search(r'name="([^"]+)"', tag)
            value = re.search(r'value="([^"]*)"', tag)
            if name and name.group(1) not in form:
                form[name.group(1)] = value.group(1) if value else ""
        return form

    def place(self, form: dict[str, str]) -> tuple[bool, float]:
        started = time.perf_counter()
        status, location, _ = self.request("POST", "/checkout", form)
        return status == 303 and "/orders/" in location, time.perf_counter() - started

    def csrf_token(self) -> str:
        # The home page's footer form carries the session's CSRF token.
        _, _, page = self.request("GET", "/")
        match = re.search(r'name="[^"]*csrf_token"[^>]*value="([^"]+)"', page)
        return match.group(1) if match else ""


def shopper_process(
    port: int, ids: list[int], seconds: float, mode: str, prepared: int, queue
) -> None:
    """``flow``: add to cart, open the form, place, again and again. ``place``: open
    ``prepared`` checkout forms first (untimed), then only place orders (timed)."""
    shopper = Shopper(port)
    csrf = shopper.csrf_token()
    forms = []
    if mode == "place":
        shopper.add_to_cart(random.choice(ids), csrf)
        cart = dict(shopper.cookies)
        forms = [shopper.open_checkout() for _ in range(prepared)]
    queue.put("ready")
    done, failed, latencies = 0, 0, []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if mode == "place":
            if not forms:
                break
            shopper.cookies = dict(cart)
            ok, latency = shopper.place(forms.pop())
        else:
            ok = shopper.add_to_cart(random.choice(ids), csrf)
            ok, latency = shopper.place(shopper.open_checkout()) if ok else (ok, 0.0)
        if ok:
            done += 1
            latencies.append(latency)
        else:
            failed += 1
    queue.put((done, failed, latencies))


# --- one run ----------------------------------------------------------------------


def run(name: str, url: str, mode: str, args: argparse.Namespace) -> dict:
    secret = secrets.token_hex(32)
    with tempfile.TemporaryDirectory(prefix=f"lavande-bench-{name}-") as folder:
        instance = Path(folder)
        ids = prepare_database(url, instance, secret)
        port = free_port()
        env = production_environment(url, instance, secret)
        # Every checkout comes from one client and one address: lift their limits.
        env["CHECKOUT_LIMIT_PER_CLIENT"] = env["CHECKOUT_LIMIT_PER_EMAIL"] = (
            "1000000 per minute"
        )
        server = start_gunicorn(env, port)
        try:
            queue = multiprocessing.Queue()
            workers = [
                multiprocessing.Process(
                    target=shopper_process,
                    args=(port, ids, args.duration, mode, args.prepared, queue),
                )
                for _ in range(args.clients)
            ]
            for worker in workers:
                worker.start()
            for _ in workers:
                assert queue.get(timeout=300) == "ready"
            started = time.perf_counter()
            cpu_before = worker_cpu_seconds(server.pid)
            results = [queue.get(timeout=args.duration + 60) for _ in workers]
            elapsed = time.perf_counter() - started
            cpu_used = worker_cpu_seconds(server.pid) - cpu_before
            for worker in workers:
                worker.join(timeout=10)
        finally:
            server.terminate()
            server.wait(timeout=10)
        done = sum(r[0] for r in results)
        failed = sum(r[1] for r in results)
        latencies = sorted(x for r in results for x in r[2])
        sold, written, orders = sold_and_written(url, instance, secret)
    return {
        "database": name,
        "mode": mode,
        "checkouts": done,
        "failed": failed,
        "seconds": elapsed,
        "per_second": done / elapsed,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else 0.0,
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99) - 1] if latencies else 0,
        "consistent": sold == written and orders == done,
        "cpu_ms": 1000 * cpu_used / done if done else 0.0,
    }


def postgres_database(admin_url: str):
    """Create a throw-away database; return its URL and a function that drops it."""
    import psycopg

    from config import normalise_database_url

    name = f"lavande_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return normalise_database_url(f"{base}/{name}"), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--modes", default="place,flow")
    parser.add_argument("--prepared", type=int, default=200)
    args = parser.parse_args()
    rows = []
    for name in args.databases.split(","):
        for mode in args.modes.split(","):
            if name == "sqlite":
                with tempfile.TemporaryDirectory() as folder:
                    url = f"sqlite:///{folder}/bench.db"
                    rows.append(run(name, url, mode, args))
            elif name == "postgresql":
                url, drop = postgres_database(args.postgres)
                try:
                    rows.append(run(name, url, mode, args))
                finally:
                    drop()
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        f"{'database':<11} {'mode':<6} {'checkouts':>9} {'failed':>6} {'per s':>7} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'app CPU ms':>10} {'CPU-bound /s':>12}  "
        "stock = lines"
    )
    for row in rows:
        # What the app's CPU time per checkout allows on this machine's cores, if
        # nothing else ran (the database's own CPU is not counted).
        ceiling = (os.cpu_count() or 1) * 1000 / row["cpu_ms"] if row["cpu_ms"] else 0
        print(
            f"{row['database']:<11} {row['mode']:<6} {row['checkouts']:>9} "
            f"{row['failed']:>6} {row['per_second']:>7.1f} {row['p50_ms']:>7.1f} "
            f"{row['p99_ms']:>7.1f} {row['cpu_ms']:>10.1f} {ceiling:>12.0f}  "
            f"{'yes' if row['consistent'] else 'NO'}"
        )


if __name__ == "__main__":
    main()

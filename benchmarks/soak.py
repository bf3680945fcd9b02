"""Soak test: the shop under mixed load and faults, checked for anything lost.

It migrates a throw-away PostgreSQL database, adds products with a known stock and
the owner's account, then runs, all on this machine:

- gunicorn with 4 workers in production mode, attempt counters shared through the
  database (or Redis with ``--redis``);
- an outbox worker sending to an aiosmtpd sink;
- client processes for a bounded time: browsing, carts, whole checkouts, newsletter
  signups (each from its own loopback address, as many visitors would be), and
  wrong-password logins to the owner's account from 127.0.0.2 and 127.0.0.3.

Meanwhile it kills one app worker (gunicorn starts another) and stops the SMTP sink
for a while, then restarts it. Afterwards it waits for the outbox to drain and prints
the requests served, errors by status, orders placed against stock sold, and mails
queued against mails delivered. The run passes (exit 0) when no order a client saw
placed is missing, stock sold equals the units in order lines, every queued mail was
delivered, no attacking address got more than 5 wrong-password answers before being
locked, the owner still logs in from another address, and no 5xx or broken
connection came outside the seconds after the kill.

    .venv/bin/python benchmarks/soak.py [--duration 60] [--workers 4] [--redis]
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
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from checkout import (  # noqa: E402
    ADDRESS,
    HIDDEN,
    free_port,
    postgres_database,
    production_environment,
    start_gunicorn,
)

PRODUCTS = 30
STOCK = 400
OWNER_EMAIL = "owner@lavande.example"
OWNER_PASSWORD = "soak-" + secrets.token_hex(12)
ATTACKERS = ("127.0.0.2", "127.0.0.3")
FAILURES_BEFORE_LOCK = 5  # eshop/admin/auth.py: the sixth failure is refused
KILL_AT, KILL_GRACE = 0.35, 8.0  # kill a worker at 35 % of the run; 8 s to recover
SINK_STOP_AT, SINK_START_AT = 0.5, 0.7
CSRF = re.compile(r'name="[^"]*csrf_token"[^>]*value="([^"]+)"')


# --- setting up -------------------------------------------------------------------


def app_settings(url: str, instance: Path, secret: str) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": secret,
    }


def prepare(url: str, instance: Path, secret: str) -> list[int]:
    """Migrate, add the products and the owner; return the product ids."""
    from flask_migrate import upgrade

    from eshop import create_app
    from eshop.admin.services import create_or_reset_owner
    from eshop.catalog.models import Category, Product
    from eshop.extensions import db

    app = create_app({**app_settings(url, instance, secret), "TESTING": True})
    with app.app_context():
        upgrade()
        category = Category(slug="soak", name_fr="Endurance", name_en="Soak")
        db.session.add(category)
        for n in range(PRODUCTS):
            db.session.add(
                Product(
                    slug=f"soak-{n}",
                    category=category,
                    name_fr=f"Savon {n}",
                    name_en=f"Soap {n}",
                    price_cents=400 + 23 * n,
                    stock=STOCK,
                )
            )
        create_or_reset_owner(OWNER_EMAIL, OWNER_PASSWORD)
        db.session.commit()
        ids = list(db.session.execute(db.select(Product.id)).scalars())
        db.engine.dispose()
    return ids


def server_environment(url: str, instance: Path, secret: str, redis: bool) -> dict:
    env = production_environment(url, instance, secret)
    env.pop("RATELIMIT_STORAGE_URI", None)
    if redis:
        env["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379/15"
    return env


OUTBOX_WORKER = """
import sys
from eshop import create_app
from eshop.mail import worker
url, instance, secret, port = sys.argv[1:5]
app = create_app({
    "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance, "SECRET_KEY": secret,
    "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": int(port),
    "OUTBOX_RETRY_BASE_SECONDS": 1, "OUTBOX_RETRY_MAX_SECONDS": 5,
    "OUTBOX_MAX_ATTEMPTS": 30, "OUTBOX_SMTP_TIMEOUT_SECONDS": 5,
})
with app.app_context():
    worker.run(poll_seconds=0.5)
"""


def start_outbox_worker(url: str, instance: Path, secret: str, smtp_port: int):
    """The mail worker; what it reports (failed connections) goes to a log file."""
    env = {**os.environ, "LAVANDE_ENV": "development"}
    log = (instance / "outbox.log").open("w")
    return subprocess.Popen(
        [sys.executable, "-c", OUTBOX_WORKER, url, str(instance), secret]
        + [str(smtp_port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def failed_connections(instance: Path) -> int:
    """How many times the outbox worker could not reach the SMTP sink."""
    return (instance / "outbox.log").read_text().count("cannot reach the mail server")


class Sink:
    """An aiosmtpd server that counts what it accepts; it can stop and start again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received = multiprocessing.Value("i", 0)
        self.controller = None

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
        with self.received.get_lock():
            self.received.value += 1
        return "250 Message accepted"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def worker_pids(master: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            pids.append(int(stat.parent.name))
    return pids


# --- clients ----------------------------------------------------------------------


class Client:
    """One browser from one loopback address, keeping its cookies."""

    def __init__(self, port: int, source: str = "127.0.0.1") -> None:
        self.port = port
        self.source = source
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def move_to(self, source: str) -> None:
        """Come from another address (closes the connection, keeps the cookies)."""
        self.source = source
        self.close()

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def request(self, method: str, path: str, form: dict | None = None):
        """(status, Location, body); status 0 when the connection broke."""
        headers = {"Accept-Language": "fr-FR", "Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=30, source_address=(self.source, 0)
                )
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            text = response.read().decode(errors="replace")
        except (OSError, http.client.HTTPException):
            self.close()
            return 0, "", ""
        for header in response.headers.get_all("Set-Cookie") or []:
            pair, _, attributes = header.partition(";")
            name, _, value = pair.partition("=")
            if "Max-Age=0" in attributes or not value.strip('"'):
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value.strip()
        return response.status, response.getheader("Location") or "", text

    def csrf_token(self, path: str = "/") -> str:
        _, _, page = self.request("GET", path)
        match = CSRF.search(page)
        return match.group(1) if match else ""


def random_source(rng: random.Random) -> str:
    return f"127.{rng.randint(1, 250)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def browse(client: Client, rng: random.Random, ids: list[int], log) -> None:
    path = rng.choice(
        ["/", "/products", "/products?q=savon", "/products?page=2", "/cookies"]
    )
    log(client.request("GET", path)[0])


def shop(client: Client, rng: random.Random, ids: list[int], log, placed) -> None:
    """A whole checkout from a new address, as a new visitor would."""
    client.move_to(random_source(rng))
    client.cookies.clear()
    csrf = client.csrf_token()
    for product_id in rng.sample(ids, rng.randint(1, 3)):
        status, _, _ = client.request(
            "POST",
            "/cart/add",
            {
                "product_id": product_id,
                "quantity": rng.randint(1, 3),
                "csrf_token": csrf,
            },
        )
        log(status)
    status, _, page = client.request("GET", "/checkout")
    log(status)
    form = {
        **ADDRESS,
        "email": f"client{rng.randint(0, 10**9)}@example.org",
        "payment_method": rng.choice(["bank_transfer", "cash_on_delivery"]),
        "accept_terms": "y",
    }
    for tag in HIDDEN.findall(page.split('class="checkout__form"', 1)[-1]):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and name.group(1) not in form:
            form[name.group(1)] = value.group(1) if value else ""
    status, location, _ = client.request("POST", "/checkout", form)
    log(status)
    if status == 303 and "/orders/" in location:
        placed.append(location.rsplit("/orders/", 1)[1].split("?")[0])


def sign_up(client: Client, rng: random.Random, ids: list[int], log) -> None:
    client.move_to(random_source(rng))
    csrf = client.csrf_token("/newsletter/")
    status, _, _ = client.request(
        "POST",
        "/newsletter/subscribe",
        {"email": f"reader{rng.randint(0, 10**9)}@example.org", "csrf_token": csrf},
    )
    log(status)


def client_process(kind: str, port: int, ids: list[int], seconds: float, queue):
    """Repeat one kind of visit until the time is up; report every answer."""
    rng = random.Random()
    source = kind.partition("@")[2] or "127.0.0.1"
    client = Client(port, source)
    answers: list[tuple[float, int]] = []
    placed: list[str] = []
    wrong_password_answers = 0
    started = time.monotonic()

    def log(status: int) -> None:
        answers.append((time.monotonic() - started, status))

    while time.monotonic() - started < seconds:
        if kind == "browse":
            browse(client, rng, ids, log)
        elif kind == "shop":
            shop(client, rng, ids, log, placed)
        elif kind == "signup":
            sign_up(client, rng, ids, log)
        else:  # an attacker guessing the owner's password
            csrf = client.csrf_token("/admin/login")
            status, _, _ = client.request(
                "POST",
                "/admin/login",
                {
                    "email": OWNER_EMAIL,
                    "password": secrets.token_hex(8),
                    "csrf_token": csrf,
                },
            )
            log(status)
            wrong_password_answers += status == 200
            time.sleep(0.2)
    client.close()
    queue.put((kind, answers, placed, wrong_password_answers))


def owner_logs_in(port: int) -> bool:
    client = Client(port, "127.0.0.1")
    csrf = client.csrf_token("/admin/login")
    status, location, _ = client.request(
        "POST",
        "/admin/login",
        {"email": OWNER_EMAIL, "password": OWNER_PASSWORD, "csrf_token": csrf},
    )
    client.close()
    return status in (302, 303) and "/admin/login" not in location


# --- after the run ----------------------------------------------------------------


def database_figures(app) -> dict:
    """Stock sold, units in order lines, orders' public ids, outbox rows by state."""
    from eshop.catalog.models import Product
    from eshop.extensions import db
    from eshop.mail.models import OutboxMessage
    from eshop.orders.models import Order, OrderLine

    with app.app_context():
        left = db.session.scalar(db.select(db.func.sum(Product.stock)))
        lines = db.session.scalar(db.select(db.func.sum(OrderLine.quantity))) or 0
        public_ids = set(db.session.scalars(db.select(Order.public_id)))
        mail = dict(
            db.session.execute(
                db.select(OutboxMessage.status, db.func.count()).group_by(
                    OutboxMessage.status
                )
            ).all()
        )
        db.session.remove()
    return {
        "sold": PRODUCTS * STOCK - left,
        "lines": lines,
        "orders": public_ids,
        "mail": mail,
    }


def wait_for_outbox(url: str, instance: Path, secret: str, seconds: float) -> dict:
    """The figures once the outbox has nothing left to send (or the time is up)."""
    from eshop import create_app
    from eshop.extensions import db

    app = create_app({**app_settings(url, instance, secret), "TESTING": True})
    deadline = time.monotonic() + seconds
    try:
        while True:
            figures = database_figures(app)
            mail = figures["mail"]
            waiting = mail.get("queued", 0) + mail.get("sending", 0)
            if not waiting or time.monotonic() > deadline:
                return figures
            time.sleep(2)
    finally:
        with app.app_context():
            db.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--redis", action="store_true", help="limits in Redis")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    if args.redis:
        import redis

        redis.Redis.from_url("redis://127.0.0.1:6379/15").flushdb()
    url, drop = postgres_database(args.postgres)
    secret = secrets.token_hex(32)
    folder = tempfile.TemporaryDirectory(prefix="lavande-soak-")
    instance = Path(folder.name)
    sink = Sink(free_port())
    server = outbox = None
    try:
        ids = prepare(url, instance, secret)
        sink.start()
        port = free_port()
        server = start_gunicorn(
            server_environment(url, instance, secret, args.redis), port, args.workers
        )
        outbox = start_outbox_worker(url, instance, secret, sink.port)
        kinds = ["browse", "browse", "shop", "shop", "shop", "signup"]
        kinds += [f"attack@{address}" for address in ATTACKERS]
        # Spawned, not forked: a forked child would keep the sink's listening socket
        # open, and the sink could not listen on its port again after a stop.
        spawn = multiprocessing.get_context("spawn")
        queue = spawn.Queue()
        clients = [
            spawn.Process(
                target=client_process, args=(kind, port, ids, args.duration, queue)
            )
            for kind in kinds
        ]
        for process in clients:
            process.start()
        started = time.monotonic()
        events = []
        for at, action in sorted(
            [
                (KILL_AT, "kill"),
                (SINK_STOP_AT, "sink stop"),
                (SINK_START_AT, "sink start"),
            ]
        ):
            time.sleep(max(0.0, started + at * args.duration - time.monotonic()))
            if action == "kill":
                victim = random.choice(worker_pids(server.pid))
                os.kill(victim, signal.SIGKILL)
            elif action == "sink stop":
                sink.stop()
            else:
                sink.start()
            events.append((time.monotonic() - started, action))
        results = [queue.get(timeout=args.duration + 120) for _ in clients]
        for process in clients:
            process.join(timeout=10)
        owner_ok = owner_logs_in(port)
        figures = wait_for_outbox(url, instance, secret, 120)
        figures["smtp_failures"] = failed_connections(instance)
    finally:
        for process in (outbox, server):
            if process is not None:
                process.terminate()
                process.wait(timeout=20)
        sink.stop()
        drop()
        folder.cleanup()
    return report(args, results, events, figures, owner_ok, sink.received.value)


def report(args, results, events, figures, owner_ok: bool, delivered: int) -> int:
    """Print the figures; 0 when the run passed, 1 when it did not."""
    kill_at = next(at for at, action in events if action == "kill")
    statuses: Counter = Counter()
    outside_kill: Counter = Counter()
    for kind, answers, _, _ in results:
        for at, status in answers:
            statuses[status] += 1
            if status == 0 or status >= 500:
                # the client's clock started when it did, within a second of ours
                if not kill_at - 1 <= at <= kill_at + KILL_GRACE:
                    outside_kill[(kind.partition("@")[0], status)] += 1
    placed = {public_id for result in results for public_id in result[2]}
    missing = placed - figures["orders"]
    attacks = {
        kind: result[3]
        for result in results
        if (kind := result[0]).startswith("attack")
    }
    queued = sum(figures["mail"].values())
    sent = figures["mail"].get("sent", 0)
    checks = {
        "no order a client saw placed is missing": not missing,
        "stock sold = units in order lines": figures["sold"] == figures["lines"],
        "every queued mail was delivered": sent == queued and delivered >= sent,
        "at most 5 wrong passwords per address before its lock": all(
            count <= FAILURES_BEFORE_LOCK for count in attacks.values()
        ),
        "the owner still logs in from another address": owner_ok,
        "no 5xx or broken connection outside the kill": not outside_kill,
    }
    print(
        f"soak: {args.duration:g} s, {args.workers} gunicorn workers, PostgreSQL, "
        f"limits in {'Redis' if args.redis else 'the database'}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    for at, action in events:
        print(f"  at {at:5.1f} s: {action}")
    print(f"requests answered: {sum(statuses.values())}")
    print(
        "by status: "
        + ", ".join(
            f"{status or 'broken'}: {count}"
            for status, count in sorted(statuses.items())
        )
    )
    print(
        f"orders: {len(placed)} seen placed by clients, {len(figures['orders'])} in "
        f"the database, {len(missing)} missing"
    )
    print(
        f"stock sold: {figures['sold']} units; units in order lines: {figures['lines']}"
    )
    print(
        f"mails: {queued} queued, {sent} sent, {delivered} received by the sink "
        f"(by state: {figures['mail']})"
    )
    print(
        "wrong-password answers before the lock: "
        + ", ".join(
            f"{kind.partition('@')[2]}: {count}"
            for kind, count in sorted(attacks.items())
        )
    )
    if outside_kill:
        print(f"5xx or broken outside the kill: {dict(outside_kill)}")
    for name, ok in checks.items():
        print(f"  [{'ok' if ok else 'FAILED'}] {name}")
    passed = all(checks.values())
    print("soak passed" if passed else "soak FAILED")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())

"""localstripe, a fake Stripe server, for the tests and ``make run``.

Nothing here talks to the real Stripe: the shop is pointed at a localstripe process
on 127.0.0.1 with test keys, and localstripe signs its webhooks with a secret we
choose. Started by the ``stripe_server`` fixture (tests/conftest.py) and, for the
demo shop, by ``python -m tests.stripe_server`` (see ``main``).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from types import TracebackType

# localstripe takes any secret key starting with sk_ and publishable key with pk_.
SECRET_KEY = "sk_test_lavande"
PUBLISHABLE_KEY = "pk_test_lavande"
WEBHOOK_SECRET = "whsec_lavande_local"
WEBHOOK_ID = "lavande"  # one webhook per server, replaced when registered again
DEFAULT_PORT = 8420

START_TIMEOUT_SECONDS = 30.0  # python and aiohttp importing on a busy machine
START_ATTEMPTS = 3  # a free port can be taken between our check and its bind
# localstripe sends an event one second after making it; ``created`` is in whole
# seconds, so every send has started by ``created + 2``; a little more for the
# receiver to answer.
WEBHOOK_DELIVERY_SECONDS = 2.5


class PortTakenError(RuntimeError):
    """The port asked for is already served by another process."""


def port_is_free(port: int) -> bool:
    """Whether localstripe could listen on ``port`` (it binds IPv4 and IPv6)."""
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("::", port))
        except OSError:
            return False
    return True


def any_free_port() -> int:
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        sock.bind(("::", 0))
        return sock.getsockname()[1]


class LocalStripe:
    """One localstripe process: started, flushed, pointed at a webhook, stopped.

    Its output goes to a log file (a pipe nobody reads would fill and block it).
    """

    def __init__(self, port: int | None = None, log_dir: Path | None = None) -> None:
        self.fixed_port = port
        self.port = port or 0
        self.log_dir = log_dir  # made when first started, if not given
        self.process: subprocess.Popen[bytes] | None = None
        self.webhook_url: str | None = None
        self.flushed_events_sent_at = 0.0  # time.time() by when they have gone out

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def js_url(self) -> str:
        """localstripe's stand-in for https://js.stripe.com/v3/."""
        return f"{self.base_url}/js.stripe.com/v3/"

    @property
    def log_path(self) -> Path:
        if self.log_dir is None:
            self.log_dir = Path(tempfile.mkdtemp(prefix="localstripe-"))
        return self.log_dir / "localstripe.log"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def settings(self) -> dict[str, str]:
        """The shop's STRIPE_* settings for this server (config names)."""
        return {
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": self.base_url,
            "STRIPE_JS_URL": self.js_url,
        }

    # --- process ---------------------------------------------------------------

    def start(self) -> LocalStripe:
        """Start localstripe and return once it answers.

        A fixed port that is taken raises ``PortTakenError``; a free port picked for
        us that another process takes first is replaced by another one.
        """
        for _ in range(START_ATTEMPTS):
            if self.fixed_port is not None and not port_is_free(self.fixed_port):
                raise PortTakenError(
                    f"port {self.fixed_port} is taken: is another localstripe or "
                    f"`make run` running? Stop it, or choose another port"
                )
            self.port = self.fixed_port or any_free_port()
            self._spawn()
            if self._wait_until_answering():
                return self
            self.stop()
            if self.fixed_port is not None:
                break
        raise RuntimeError(
            f"localstripe did not start on port {self.port}; "
            f"its log ({self.log_path}) ends with:\n{self.log_tail()}"
        )

    def _spawn(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    *("-m", "localstripe", "--port", str(self.port)),
                    "--from-scratch",  # never load another run's /tmp pickle
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},  # log lines at once
            )

    def _wait_until_answering(self) -> bool:
        """True once our process serves Stripe.js; False if it exited first."""
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.js_url, timeout=1) as answer:
                    if answer.status == 200:
                        # Still ours: not another server answering on a port ours
                        # failed to bind.
                        return self.process.poll() is None
            except OSError:
                pass
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 10 seconds)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        self.webhook_url = None

    def log_tail(self, lines: int = 20) -> str:
        if self.log_dir is None or not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> LocalStripe:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- localstripe's own API --------------------------------------------------

    def _request(
        self, method: str, path: str, body: dict[str, object] | None = None
    ) -> bytes:
        request = urllib.request.Request(
            self.base_url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {SECRET_KEY}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.read()

    def flush(self) -> None:
        """Forget every object (payment intents, events...), not the webhook.

        localstripe writes its whole store to /tmp/localstripe.pickle on every
        change, so a store kept small keeps each request fast.
        """
        # Events already made still go out after this: see send_webhooks_to.
        self.flushed_events_sent_at = max(
            self.flushed_events_sent_at, self._recent_events_sent_at()
        )
        self._request("DELETE", "/_config/data")

    def send_webhooks_to(self, url: str) -> None:
        """Send every event from now on to ``url``, signed with WEBHOOK_SECRET.

        localstripe sends an event a second after making it, to whatever webhook
        is registered by then; so this first waits (at most
        WEBHOOK_DELIVERY_SECONDS) until the events of flushed objects, made by an
        earlier test, have gone out to no one.
        """
        time.sleep(max(0.0, self.flushed_events_sent_at - time.time()))
        self._configure_webhook(url)
        self.webhook_url = url

    def stop_webhooks(self) -> None:
        """Let the events already made reach the webhook, then send no more.

        Without this, the next test's shop could receive this test's events. Waits
        only when a webhook is registered and an event is recent, at most
        WEBHOOK_DELIVERY_SECONDS.
        """
        if self.webhook_url is None:
            return
        time.sleep(max(0.0, self._recent_events_sent_at() - time.time()))
        # localstripe cannot remove a webhook: one listening to no event type
        # is the same.
        self._configure_webhook(self.webhook_url, events=[])
        self.webhook_url = None

    def _configure_webhook(self, url: str, events: list[str] | None = None) -> None:
        settings: dict[str, object] = {"url": url, "secret": WEBHOOK_SECRET}
        if events is not None:
            settings["events"] = events
        self._request("POST", f"/_config/webhooks/{WEBHOOK_ID}", settings)

    def _recent_events_sent_at(self) -> float:
        """When every event made so far will have been sent (0: none is pending)."""
        since = int(time.time() - WEBHOOK_DELIVERY_SECONDS - 1)
        query = urllib.parse.urlencode({"created[gte]": since, "limit": 10_000})
        events = json.loads(self._request("GET", f"/v1/events?{query}"))["data"]
        newest = max((event["created"] for event in events), default=None)
        return 0.0 if newest is None else newest + WEBHOOK_DELIVERY_SECONDS


def main(argv: list[str] | None = None) -> int:
    """Start localstripe for ``make run`` and print the shop's settings.

    The output is for a shell's ``eval``: ``export STRIPE_...=...`` lines and
    ``LOCALSTRIPE_PID=...`` so the caller can stop the server, which keeps running
    after this command returns.
    """
    parser = argparse.ArgumentParser(
        prog="python -m tests.stripe_server",
        description="Start localstripe (a fake Stripe) and print the shop's "
        "STRIPE_* settings as shell lines.",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--webhook", help="the shop's webhook URL")
    arguments = parser.parse_args(argv)

    server = LocalStripe(port=arguments.port)
    try:
        server.start()
        if arguments.webhook:
            server.send_webhooks_to(arguments.webhook)
    except PortTakenError as error:
        other = arguments.port + 1
        sys.stderr.write(f"localstripe: {error} (make run STRIPE_PORT={other}).\n")
        return 1
    except BaseException:
        server.stop()
        raise
    lines = [
        f"export {name}={shlex.quote(value)}"
        for name, value in server.settings().items()
    ]
    lines.append(f"LOCALSTRIPE_PID={server.pid}")
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stderr.write(
        f"localstripe (a fake Stripe) on {server.base_url}, "
        f"webhooks to {arguments.webhook or 'nowhere'}, log in {server.log_path}\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

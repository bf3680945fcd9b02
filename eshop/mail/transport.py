"""How the worker hands a message over: to SMTP through Flask-Mail, or, without
``MAIL_SERVER``, to an .eml file under ``instance/mail/`` a first-time user can open.
"""

from __future__ import annotations

import hashlib
import os
import quopri
import smtplib
import time
from dataclasses import dataclass, field
from email.header import Header
from email.message import Message as EmailMessage
from email.policy import compat32
from email.utils import parseaddr
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

from flask import current_app
from flask_mail import Connection, Message

from eshop.clock import utcnow

from .services import check_extra_headers, check_header_value
from .settings import setting


@dataclass(frozen=True)
class Outgoing:
    """What the worker needs of an outbox row to send it (read once, at claim)."""

    id: int
    dedupe_key: str
    purpose: str
    sender: str
    recipient: str
    subject: str
    text_body: str
    html_body: str | None
    attempts: int
    headers: dict[str, str] = field(default_factory=dict)


def message_id(outgoing: Outgoing) -> str:
    """A Message-ID stable for a row, so a resend after a crash reads as the same
    message to the recipient's server."""
    domain = parseaddr(outgoing.sender)[1].rpartition("@")[2] or "lavande.invalid"
    digest = hashlib.sha256(outgoing.dedupe_key.encode()).hexdigest()[:16]
    return f"<outbox.{outgoing.id}.{digest}@{domain}>"


# The classic generator with SMTP line ends, folding only past RFC 5322's limit:
# an ASCII value such as a List-Unsubscribe URL is written as it is (the modern
# policy would turn a long one into an RFC 2047 encoded-word clients cannot use).
WIRE_POLICY = compat32.clone(linesep="\r\n", max_line_length=998)


class WireMessage(Message):
    """Flask-Mail's message, serialised with the classic email generator.

    Flask-Mail already encodes the headers it writes (RFC 2047) and the outbox
    encodes non-ASCII extra headers, so re-parsing every header through
    ``policy.SMTP`` (most of the cost of sending to a local server) adds nothing.
    """

    def as_bytes(self) -> bytes:
        mime = self._message()
        for part in mime.walk():
            if not part.is_multipart() and has_overlong_line(part):
                encode_quoted_printable(part)
        return mime.as_bytes(policy=WIRE_POLICY)


def has_overlong_line(part: EmailMessage) -> bool:
    """A body line over SMTP's 998-octet limit (a long HTML paragraph, say)."""
    payload = part.get_payload()
    return isinstance(payload, str) and any(
        len(line) > 998 for line in payload.splitlines()
    )


def encode_quoted_printable(part: EmailMessage) -> None:
    """Re-encode an 8-bit part as quoted-printable, whose lines stay short."""
    raw = part.get_payload(decode=True)
    del part["Content-Transfer-Encoding"]
    part.set_payload(quopri.encodestring(raw).decode("ascii"))
    part["Content-Transfer-Encoding"] = "quoted-printable"


def encoded_header(value: str) -> str:
    """An extra header's value: verbatim when ASCII, else RFC 2047-encoded."""
    return value if value.isascii() else Header(value, "utf-8").encode()


def build_message(outgoing: Outgoing) -> Message:
    """The Flask-Mail message of a row; line breaks in any header field are refused
    again here, whatever was written to the table."""
    check_header_value(outgoing.sender, "from")
    check_header_value(outgoing.recipient, "to")
    check_header_value(outgoing.subject, "subject")
    check_extra_headers(outgoing.headers)
    message = WireMessage(
        subject=outgoing.subject,
        recipients=[outgoing.recipient],
        body=outgoing.text_body,
        html=outgoing.html_body,
        sender=outgoing.sender,
        extra_headers={k: encoded_header(v) for k, v in outgoing.headers.items()},
        date=time.time(),
    )
    message.msgId = message_id(outgoing)
    return message


class Transport(Protocol):
    """Where the worker hands messages over: opened once per batch."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def send(self, outgoing: Outgoing, message: Message) -> None: ...


class SMTPTransport(Connection):
    """Flask-Mail's connection, opened once per batch, with a timeout.

    Flask-Mail suppresses sending under ``TESTING``; the outbox decides by
    ``MAIL_SERVER`` alone, so tests talk to a real SMTP server.
    """

    def __init__(self) -> None:
        super().__init__(current_app.extensions["mail"])
        self.timeout = float(setting("OUTBOX_SMTP_TIMEOUT_SECONDS"))

    def __enter__(self) -> Self:
        self.host = self.configure_host()
        self.num_emails = 0
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.host is None:
            return
        try:
            self.host.quit()
        except (smtplib.SMTPException, OSError):
            self.host.close()
        self.host = None

    def configure_host(self) -> smtplib.SMTP:
        mail = self.mail
        host: smtplib.SMTP
        if mail.use_ssl:
            host = smtplib.SMTP_SSL(mail.server, mail.port, timeout=self.timeout)
        else:
            host = smtplib.SMTP(mail.server, mail.port, timeout=self.timeout)
        try:
            if mail.use_tls:
                host.starttls()
            if mail.username and mail.password:
                host.login(mail.username, mail.password)
        except BaseException:
            host.close()
            raise
        return host

    def send(self, outgoing: Outgoing, message: Message) -> None:  # type: ignore[override]
        super().send(message)


class EmlTransport:
    """Writes each message to ``instance/mail/<time>-<id>.eml``."""

    def __init__(self) -> None:
        self.directory = Path(current_app.instance_path) / "mail"

    def __enter__(self) -> Self:
        self.directory.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def send(self, outgoing: Outgoing, message: Message) -> None:
        name = f"{utcnow():%Y%m%dT%H%M%SZ}-{outgoing.id:06d}.eml"
        partial = self.directory / f".{name}.part"
        partial.write_bytes(message.as_bytes())
        os.replace(partial, self.directory / name)


def open_transport() -> Transport:
    """SMTP when ``MAIL_SERVER`` is set, else .eml files."""
    if current_app.config.get("MAIL_SERVER"):
        return SMTPTransport()
    return EmlTransport()

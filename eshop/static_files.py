"""Light pages: static files at content-hashed URLs, kept a year; responses compressed.

Every file under ``static/`` is served at ``/static/<digest>/<path>``, the digest
being a hash of the whole static folder. Any change to any file gives every file a
new URL, so what a URL names never changes and browsers keep it a year
(``immutable``). A stylesheet's relative ``url(../img/x.svg)`` resolves under the
same digest, so what it references is versioned too, with no CSS rewritten (an
absolute ``/static/...`` in CSS would not be: ``tests/test_static_files.py``
refuses one). Templates keep calling ``url_for('static', filename=...)``; a
``url_defaults`` callback adds the digest.

WhiteNoise serves the files before Flask's routing, with the brotli and gzip copies
made beside each one (``.br``, ``.gz``) for clients that accept them; it sits inside
the consent guard, and gets the security headers of every other response. The plain
URL ``/static/<path>`` still works, revalidated on each use (``no-cache``); another
digest (a page from an older or newer release) is a 404, never a wrong file.
Flask-Compress compresses the app's own HTML, CSS, JavaScript, SVG and JSON.

In debug (the development server) URLs stay plain and Flask serves the files with
``no-cache``, so an edited stylesheet shows at once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from flask import Flask
from flask_compress import Compress
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

from eshop import security

log = logging.getLogger(__name__)

ONE_YEAR = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
DIGEST_LENGTH = 12
COMPRESSED_SUFFIXES = (".br", ".gz")  # copies, not files of their own

COMPRESS_DEFAULTS: dict[str, Any] = {
    # Text that shrinks; images, fonts and archives are compressed already.
    "COMPRESS_MIMETYPES": [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "image/svg+xml",
        "application/json",
    ],
    "COMPRESS_ALGORITHM": ["br", "gzip"],  # brotli when accepted, else gzip
    "COMPRESS_BR_LEVEL": 4,  # smaller than gzip -9 for about its time, per request
    "COMPRESS_LEVEL": 6,
    "COMPRESS_MIN_SIZE": 1024,  # below that the saving is under a packet
    "COMPRESS_STREAMS": False,  # CSV exports and files stay streamed as they are
}


def served_files(folder: Path) -> list[Path]:
    """The files of ``folder`` that are served, sorted: no dotfiles, no copies."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
        and not path.name.endswith(COMPRESSED_SUFFIXES)
    )


def folder_digest(folder: Path) -> str:
    """A short hash of every served file's path and content under ``folder``."""
    digest = hashlib.sha256()
    for path in served_files(folder):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:DIGEST_LENGTH]


def compress_stale_files(folder: Path) -> None:
    """Write the ``.br`` and ``.gz`` copies of each file whose copies are missing or
    older, by WhiteNoise's rules (none when brotli saves under 5 %).

    A copy carries its source's modification time, so an edited file is compressed
    again at the next start. Copies land by rename: another process starting at
    the same time never reads half a file.
    """
    compressor = Compressor(quiet=True)
    for path in served_files(folder):
        if not compressor.should_compress(path.name):
            continue
        source = path.stat()
        mtime = source.st_mtime_ns
        brotli_copy, gzip_copy = (path.with_name(path.name + s) for s in (".br", ".gz"))
        if all(
            copy.exists() and copy.stat().st_mtime_ns == mtime
            for copy in (brotli_copy, gzip_copy)
        ):
            continue
        data = path.read_bytes()
        mode = stat.S_IMODE(source.st_mode)
        packed = compressor.compress_brotli(data)
        if not compressor.is_compressed_effectively("br", "", len(data), packed):
            brotli_copy.unlink(missing_ok=True)
            gzip_copy.unlink(missing_ok=True)  # gzip would not pay either
            continue
        write_atomically(brotli_copy, packed, mtime, mode)
        packed = compressor.compress_gzip(data)
        if compressor.is_compressed_effectively("gzip", "", len(data), packed):
            write_atomically(gzip_copy, packed, mtime, mode)
        else:
            gzip_copy.unlink(missing_ok=True)


def write_atomically(target: Path, data: bytes, mtime_ns: int, mode: int) -> None:
    """Write ``target`` whole or not at all, with its source's time and mode."""
    handle, temporary = tempfile.mkstemp(prefix=".", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, mode)  # mkstemp's 0600 would hide it from the server
        os.utime(temporary, ns=(mtime_ns, mtime_ns))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def init_app(app: Flask, *, compress_copies: bool = True) -> None:
    """Compress responses; outside debug, serve static files at hashed URLs.

    ``compress_copies`` is False for an installed wheel, whose build made them.
    """
    for key, value in COMPRESS_DEFAULTS.items():
        app.config.setdefault(key, value)
    Compress(app)
    if app.debug or not app.static_folder or app.static_url_path is None:
        return
    folder = Path(app.static_folder)
    if compress_copies:
        try:
            compress_stale_files(folder)
        except OSError as error:  # a read-only tree: serve the files uncompressed
            log.warning("static files left uncompressed: %s", error)
    digest = folder_digest(folder)
    plain_prefix = app.static_url_path.rstrip("/") + "/"
    hashed_prefix = f"{plain_prefix}{digest}/"

    def add_digest(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = f"{digest}/{values['filename']}"

    def is_hashed(path: str, url: str) -> bool:
        return url.startswith(hashed_prefix)

    with app.app_context():
        hsts = security.sends_hsts()
    fixed_headers = [
        ("Content-Security-Policy", security.BASE_CSP),
        *security.HEADERS,
        *((security.HSTS,) if hsts else ()),
    ]

    def add_headers(headers: Any, path: str, url: str) -> None:
        headers["Cache-Control"] = ONE_YEAR if is_hashed(path, url) else REVALIDATE
        for key, value in fixed_headers:
            headers[key] = value

    app.url_defaults(add_digest)
    static = WhiteNoise(
        app.wsgi_app,
        max_age=None,  # add_headers says how long, per URL
        allow_all_origins=False,  # served from the shop's own host only
        immutable_file_test=is_hashed,
        add_headers_function=add_headers,
    )
    static.add_files(str(folder), prefix=hashed_prefix)
    static.add_files(str(folder), prefix=plain_prefix)
    app.wsgi_app = static  # type: ignore[method-assign]

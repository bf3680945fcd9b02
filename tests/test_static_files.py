"""Static files at content-hashed URLs kept a year, and compressed responses.

The shop's own app serves its real files; a small Flask app on a copy in tmp_path
shows what happens when a file changes, and with files the shop does not have
(an image, a tiny script, a stylesheet pointing at a picture).
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from urllib.parse import urljoin

import brotli
import pytest
from flask import Flask, url_for
from PIL import Image

from eshop import resource_dir, static_files

STATIC = resource_dir("static")
ONE_YEAR = "public, max-age=31536000, immutable"
DECODERS = {"br": brotli.decompress, "gzip": gzip.decompress}


def static_url(app: Flask, filename: str) -> str:
    with app.test_request_context():
        return url_for("static", filename=filename)


def small_app(folder: Path, **config: object) -> Flask:
    """A bare Flask app serving ``folder`` the way the shop serves ``static/``."""
    app = Flask(__name__, static_folder=str(folder))
    app.config.update(TESTING=True, **config)

    @app.get("/page")
    def page() -> str:
        return "<!doctype html><p>" + "lavande " * 400

    @app.get("/tiny")
    def tiny() -> str:
        return "<!doctype html><p>ok"

    static_files.init_app(app)
    return app


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A static folder: a stylesheet using a picture, a script, an image."""
    root = tmp_path / "static"
    (root / "css").mkdir(parents=True)
    (root / "img").mkdir()
    (root / "js").mkdir()
    (root / "css" / "site.css").write_text(
        "body { background: url('../img/dot.svg'); }\n" + "p { color: #333; }\n" * 200
    )
    (root / "img" / "dot.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8">'
        + '<circle cx="4" cy="4" r="3" fill="#7b5ea7"/>' * 40
        + "</svg>"
    )
    (root / "js" / "tiny.js").write_text("'use strict';\n")
    Image.new("RGB", (64, 64), "purple").save(root / "img" / "photo.png")
    return root


# --- hashed URLs ------------------------------------------------------------------


def test_templates_link_static_files_at_a_hashed_url(client):
    page = client.get("/").get_data(as_text=True)

    stylesheet = re.search(r'href="(/static/[^"]*shop\.css)"', page)
    assert stylesheet, "the page links no stylesheet"
    assert re.fullmatch(r"/static/[0-9a-f]{12}/css/shop\.css", stylesheet[1])
    response = client.get(stylesheet[1])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == ONE_YEAR
    assert response.get_data() == (STATIC / "css" / "shop.css").read_bytes()
    response.close()


def test_the_url_changes_when_a_file_changes_and_the_old_one_is_gone(folder):
    before = small_app(folder)
    old_url = static_url(before, "js/tiny.js")
    (folder / "css" / "site.css").write_text("body { color: black; }\n" * 100)

    after = small_app(folder)
    new_url = static_url(after, "js/tiny.js")

    assert old_url != new_url  # every URL changes with any file: CSS refs included
    client = after.test_client()
    assert client.get(old_url).status_code == 404
    response = client.get(
        static_url(after, "css/site.css"), headers={"Accept-Encoding": "br"}
    )
    # the compressed copy made for the old file is not served for the new one
    assert brotli.decompress(response.get_data()) == b"body { color: black; }\n" * 100
    response.close()


def test_the_plain_url_still_works_but_is_revalidated(client):
    response = client.get("/static/css/shop.css")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    etag = response.headers["ETag"]
    response.close()

    again = client.get("/static/css/shop.css", headers={"If-None-Match": etag})
    assert again.status_code == 304
    again.close()


@pytest.mark.parametrize(
    "path",
    [
        "/static/000000000000/css/shop.css",  # a page of another release
        "/static/{digest}/css/no-such-file.css",
        "/static/{digest}/../../config.py",
    ],
)
def test_a_wrong_hash_or_file_is_a_plain_404_never_kept(client, app, path):
    digest = static_url(app, "css/shop.css").split("/")[2]

    response = client.get(path.format(digest=digest))

    assert response.status_code == 404
    assert "immutable" not in response.headers.get("Cache-Control", "")
    assert b"SECRET_KEY" not in response.get_data()


def test_files_a_stylesheet_points_at_are_versioned_with_it(folder):
    app = small_app(folder)
    client = app.test_client()
    stylesheet = static_url(app, "css/site.css")
    (reference,) = re.findall(
        r"url\('([^']+)'\)", (folder / "css/site.css").read_text()
    )

    picture = client.get(urljoin(stylesheet, reference))

    assert picture.status_code == 200
    assert picture.mimetype == "image/svg+xml"
    assert picture.headers["Cache-Control"] == ONE_YEAR
    picture.close()


def test_the_shops_stylesheets_only_use_relative_urls_to_files_that_exist():
    for sheet in STATIC.rglob("*.css"):
        for target in re.findall(r"url\(\s*['\"]?([^'\")]+)", sheet.read_text()):
            if target.startswith("data:"):
                continue
            # an absolute /static/... would escape the digest: kept a year, stale
            assert not re.match(r"^(/|[a-z]+:)", target), f"{sheet.name}: {target}"
            assert (sheet.parent / target).resolve().is_file(), f"{sheet}: {target}"


def test_static_files_carry_the_security_headers_and_no_cookie(client, app):
    response = client.get(static_url(app, "img/favicon.svg"))

    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Set-Cookie" not in response.headers
    response.close()


def test_development_keeps_plain_urls_so_edits_show_at_once(folder):
    app = small_app(folder, DEBUG=True)

    url = static_url(app, "css/site.css")

    assert url == "/static/css/site.css"
    response = app.test_client().get(url)
    assert response.status_code == 200
    response.close()


# --- compression ------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_stylesheets_and_scripts_come_compressed(client, app, encoding):
    for filename in ("css/shop.css", "js/consent.js", "img/product-placeholder.svg"):
        response = client.get(
            static_url(app, filename), headers={"Accept-Encoding": f"{encoding}"}
        )
        assert response.headers.get("Content-Encoding") == encoding, filename
        assert "Accept-Encoding" in response.headers["Vary"]
        assert response.headers["Cache-Control"] == ONE_YEAR
        original = (STATIC / filename).read_bytes()
        assert DECODERS[encoding](response.get_data()) == original
        assert int(response.headers["Content-Length"]) < len(original)
        response.close()


def test_brotli_is_preferred_when_the_browser_takes_both(client, app):
    chromes = "gzip, deflate, br, zstd"
    response = client.get(
        static_url(app, "css/shop.css"), headers={"Accept-Encoding": chromes}
    )
    assert response.headers["Content-Encoding"] == "br"
    response.close()
    page = client.get("/", headers={"Accept-Encoding": chromes})
    assert page.headers["Content-Encoding"] == "br"


def test_a_client_without_accept_encoding_gets_identity_and_a_vary(client, app):
    response = client.get(static_url(app, "css/shop.css"))
    assert "Content-Encoding" not in response.headers
    assert "Accept-Encoding" in response.headers["Vary"]
    response.close()

    page = client.get("/")
    assert "Content-Encoding" not in page.headers
    vary = {part.strip() for part in page.headers["Vary"].split(",")}
    assert "Accept-Encoding" in vary  # a cache must not hand br to this client


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_html_pages_are_compressed_keeping_their_vary(client, encoding):
    plain = client.get("/")
    squeezed = client.get("/", headers={"Accept-Encoding": encoding})

    assert squeezed.headers["Content-Encoding"] == encoding
    assert squeezed.mimetype == "text/html"
    body = DECODERS[encoding](squeezed.get_data()).decode()
    assert body.strip().startswith("<!doctype html>")
    assert body.rstrip().endswith("</html>")
    assert len(squeezed.get_data()) < len(plain.get_data()) / 2
    vary = {part.strip() for part in squeezed.headers["Vary"].split(",")}
    assert {"Cookie", "Accept-Encoding"} <= vary
    assert int(squeezed.headers["Content-Length"]) == len(squeezed.get_data())


def test_tiny_responses_and_images_are_not_compressed(folder):
    app = small_app(folder)
    client = app.test_client()
    headers = {"Accept-Encoding": "br, gzip"}

    assert "Content-Encoding" not in client.get("/tiny", headers=headers).headers
    assert client.get("/page", headers=headers).headers["Content-Encoding"] == "br"
    for filename in ("img/photo.png", "js/tiny.js"):
        response = client.get(static_url(app, filename), headers=headers)
        assert response.status_code == 200
        assert "Content-Encoding" not in response.headers, filename
        response.close()
    assert not (folder / "img" / "photo.png.br").exists()  # never even tried
    assert not (folder / "js" / "tiny.js.br").exists()  # brotli did not pay

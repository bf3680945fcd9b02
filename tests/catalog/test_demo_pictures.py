"""Demo pictures that match (issue 15): each kind of demo product shows a drawing of
its own kind, and two kinds never share a drawing."""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from itertools import combinations
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from eshop.catalog.demo_catalog import PRODUCTS
from eshop.catalog.demo_images import KINDS, UnknownKind, picture_file

DEMO_FOLDER = Path(__file__).resolve().parents[2] / "static" / "img" / "demo"
SVG = "{http://www.w3.org/2000/svg}"
BY_SLUG = {demo.slug: demo for demo in PRODUCTS}

# The products the issue names, and what a shopper expects to see on each.
NAMED_CASES = [
    ("torchon-lin-provence", "Torchon en lin brodé lavande", "tea-towel"),
    ("coussin-lavande", "Coussin de nuque à la lavande", "neck-pillow"),
    ("eau-de-linge", "Eau de linge à la lavande, 250 ml", "linen-water"),
    ("diffuseur-ceramique", "Diffuseur en céramique", "diffuser"),
    ("baume-levres", "Baume à lèvres miel et lavande", "lip-balm"),
    ("deodorant-lavande", "Déodorant solide à la lavande", "deodorant"),
    ("creme-mains-lavande", "Crème pour les mains à la lavande", "hand-cream"),
    ("huile-massage-lavande", "Huile de massage relaxante", "massage-oil"),
    ("bougie-lavande", "Bougie parfumée à la lavande", "candle"),
    (
        "huile-essentielle-lavande-fine",
        "Huile essentielle de lavande fine AOP",
        "essential-oil",
    ),  # noqa: E501
]

# What the issue found sharing one picture: each group must now show as many
# different pictures as it has products.
CONFUSED_GROUPS = [
    ("torchon-lin-provence", "coussin-lavande", "eau-de-linge", "bougie-lavande"),
    ("diffuseur-ceramique", "huile-essentielle-lavande-fine"),
    (
        "baume-levres",
        "deodorant-lavande",
        "creme-mains-lavande",
        "huile-massage-lavande",
    ),
]


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def seeded(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output


def served_picture(client: FlaskClient, slug: str) -> tuple[str, bytes]:
    """The content type and bytes of the first picture on a product's page."""
    page = client.get(f"/products/{slug}").get_data(as_text=True)
    found = re.search(r'<img class="product__image" src="([^"]+)"', page)
    assert found, f"no picture on the page of {slug}"
    response = client.get(found.group(1))
    assert response.status_code == 200
    return response.mimetype, response.get_data()


# --- the drawings themselves -------------------------------------------------------


def test_the_table_of_kinds_and_the_drawings_on_disk_agree():
    on_disk = {path.stem for path in DEMO_FOLDER.glob("*.svg")}

    assert on_disk == set(KINDS)
    assert len(KINDS) == len(set(KINDS))


def test_no_two_kinds_share_a_drawing():
    digests = {
        kind: digest((DEMO_FOLDER / f"{kind}.svg").read_bytes()) for kind in KINDS
    }

    shared = [(a, b) for a, b in combinations(KINDS, 2) if digests[a] == digests[b]]
    assert shared == []


@pytest.mark.parametrize("kind", KINDS)
def test_each_drawing_is_a_small_clean_svg(kind):
    data = (DEMO_FOLDER / f"{kind}.svg").read_bytes()
    root = ET.fromstring(data)
    tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    attributes = {name for element in root.iter() for name in element.attrib}
    links = [
        value
        for element in root.iter()
        for name, value in element.attrib.items()
        if name.endswith("href")
    ]

    assert root.tag == f"{SVG}svg" and root.get("viewBox") == "0 0 240 240"
    assert len(data) < 2048, f"{kind}.svg is {len(data)} bytes"
    assert not tags & {"script", "image", "foreignObject", "style"}
    assert "style" not in attributes  # the shop's CSP allows no inline style
    assert not [a for a in attributes if a.lower().startswith("on")]
    assert all(link.startswith("#") for link in links)  # nothing fetched from outside


# --- which product shows which drawing ---------------------------------------------


@pytest.mark.parametrize("demo", PRODUCTS, ids=lambda demo: demo.slug)
def test_every_demo_product_names_a_kind_that_has_a_drawing(demo):
    assert demo.picture in KINDS


@pytest.mark.parametrize(("slug", "name", "kind"), NAMED_CASES)
def test_the_products_the_issue_names_get_their_own_kind(slug, name, kind):
    assert BY_SLUG[slug].name_fr == name
    assert BY_SLUG[slug].picture == kind


@pytest.mark.parametrize("group", CONFUSED_GROUPS, ids=lambda group: group[0])
def test_what_the_issue_saw_confused_now_shows_different_kinds(group):
    kinds = [BY_SLUG[slug].picture for slug in group]
    files = {digest((DEMO_FOLDER / f"{kind}.svg").read_bytes()) for kind in kinds}

    assert len(set(kinds)) == len(group)
    assert len(files) == len(group)


def test_a_kind_without_a_drawing_is_refused(app: Flask):
    with app.app_context(), pytest.raises(UnknownKind):
        picture_file("teapot")


# --- the seeded shop serves them ---------------------------------------------------


def test_every_seeded_product_page_serves_the_drawing_of_its_kind(seeded, client):
    for demo in PRODUCTS:
        mimetype, data = served_picture(client, demo.slug)

        assert mimetype == "image/svg+xml", demo.slug
        assert data == (DEMO_FOLDER / f"{demo.picture}.svg").read_bytes(), demo.slug


@pytest.mark.parametrize("group", CONFUSED_GROUPS, ids=lambda group: group[0])
def test_the_confused_products_serve_different_pictures(seeded, client, group):
    served = {digest(served_picture(client, slug)[1]) for slug in group}

    assert len(served) == len(group)


def test_product_tiles_show_the_drawings_with_the_product_name_as_text(seeded, client):
    listing = client.get("/products?category=maison").get_data(as_text=True)
    tiles = re.findall(
        r'<img class="tile__image" src="([^"]+)"\s+alt="([^"]*)"', listing
    )

    assert {alt for _, alt in tiles} >= {"Torchon en lin brodé lavande"}
    for src, alt in tiles:
        response = client.get(src)
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        kind = next(d.picture for d in PRODUCTS if d.name_fr == alt)
        assert response.get_data() == (DEMO_FOLDER / f"{kind}.svg").read_bytes()


def test_the_english_pages_describe_the_pictures_in_english(seeded, client):
    page = client.get("/products/torchon-lin-provence?lang=en").get_data(as_text=True)

    assert 'alt="Embroidered linen tea towel"' in page


# --- in a browser ------------------------------------------------------------------


def loaded_images(page, selector: str) -> list[dict]:
    return page.eval_on_selector_all(
        selector,
        "images => images.map(i => ({src: i.currentSrc, alt: i.alt,"
        " done: i.complete, width: i.naturalWidth}))",
    )


def test_the_product_list_shows_the_drawings_in_chromium(
    seeded, live_server, page, artifacts
):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/products")
    refuse = page.get_by_role("button", name="Tout refuser")
    if refuse.count():
        refuse.first.click()
    for _ in range(20):  # the tiles load lazily: bring each into view
        page.mouse.wheel(0, 600)
    page.wait_for_function(
        "[...document.querySelectorAll('.tile__image')].every(i => i.complete)"
    )
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts / "demo-products.png"), full_page=True)

    images = loaded_images(page, ".tile__image")
    assert len(images) == 24
    assert all(image["done"] and image["width"] > 0 for image in images), images
    assert all(image["src"].endswith(".svg") and image["alt"] for image in images)


@pytest.mark.parametrize(
    "slug", ["torchon-lin-provence", "coussin-lavande", "eau-de-linge", "baume-levres"]
)
def test_a_product_page_shows_its_drawing_in_chromium(
    seeded, live_server, page, artifacts, slug
):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/products/{slug}")

    page.wait_for_function("document.querySelector('.product__image').complete")
    [image] = loaded_images(page, ".product__image")
    assert image["width"] > 0 and image["alt"] == BY_SLUG[slug].name_fr
    page.screenshot(path=str(artifacts / f"demo-product-{slug}.png"))

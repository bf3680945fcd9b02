"""Admin: products and categories (list, search, create, edit, stock, delete)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import or_
from wtforms.fields.choices import SelectChoice

from eshop.catalog.editing import (
    CategoryData,
    EditRefused,
    ImageUpload,
    ProductData,
    delete_category,
    remove_product,
    save_category,
    save_product,
    set_stock,
)
from eshop.catalog.models import Category, Product
from eshop.extensions import db
from eshop.orders.services import product_was_ordered

from .blueprint import bp
from .forms import CategoryForm, DeleteForm, ProductForm, StockForm

PER_PAGE = 25
MAX_SEARCH = 100
MAX_IMAGE_BYTES = 5 * 1024 * 1024  # the catalogue checks it too; we stop reading here


MAX_PAGE = 100_000


def search_term() -> str:
    """The search box's text, without control characters (PostgreSQL refuses NUL)."""
    typed = request.args.get("q", "")
    return "".join(ch for ch in typed if ch.isprintable()).strip()[:MAX_SEARCH]


def page_number() -> int:
    page = request.args.get("page", 1, type=int)
    return min(max(page, 1), MAX_PAGE)


def like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def searched_page(model: Any, *order_by: Any) -> tuple[Any, str]:
    """One page of products or categories whose names or slug contain ``?q=``."""
    term = search_term()
    query = db.select(model).order_by(*order_by)
    if term:
        pattern = like_pattern(term)
        columns = (model.name_fr, model.name_en, model.slug)
        query = query.where(or_(*(c.ilike(pattern, escape="\\") for c in columns)))
    page = db.paginate(
        query,
        page=page_number(),
        per_page=PER_PAGE,
        max_per_page=PER_PAGE,
        error_out=False,
    )
    return page, term


# --- products -----------------------------------------------------------------------


@bp.get("/products")
def products() -> ResponseReturnValue:
    """The product list: search by name or address name, 25 per page."""
    page, term = searched_page(Product, Product.name_fr, Product.id)
    return render_template(
        "admin/catalog/products.html",
        page=page,
        term=term,
        stock_form=StockForm(formdata=None),
    )


def category_choices() -> list[SelectChoice]:
    categories = db.session.execute(
        db.select(Category).order_by(Category.position, Category.name_fr)
    ).scalars()
    return [SelectChoice(category.id, category.name_fr) for category in categories]


def product_form(product: Product | None) -> ProductForm:
    form = ProductForm(obj=product)
    if product is not None and not form.is_submitted():
        form.price.data = product.price_cents
    form.category_id.choices = category_choices()
    return form


def product_data(form: ProductForm) -> ProductData:
    return ProductData(
        name_fr=form.name_fr.data,
        name_en=form.name_en.data,
        description_fr=form.description_fr.data or "",
        description_en=form.description_en.data or "",
        slug=form.slug.data or "",
        category_id=form.category_id.data,
        price_cents=form.price.data,
        vat_rate_bp=form.vat_rate_bp.data,
        stock=form.stock.data,
        active=form.active.data,
        featured=form.featured.data,
        sponsored=form.sponsored.data,
        excluded_from_withdrawal=form.excluded_from_withdrawal.data,
    )


def image_upload(form: ProductForm) -> ImageUpload | None:
    """The uploaded image, read no further than the size limit allows."""
    upload = form.image.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    data = upload.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise EditRefused(_("This file is larger than 5 MB."), "image")
    return ImageUpload(data, form.image_alt_fr.data or "", form.image_alt_en.data or "")


def edit_product_screen(product: Product | None) -> ResponseReturnValue:
    form = product_form(product)
    if not form.category_id.choices:
        flash(_("Create a category first: every product belongs to one."), "warning")
        return redirect(url_for("admin.new_category"))
    if form.validate_on_submit():
        try:
            image = image_upload(form)
            saved = save_product(
                product.id if product else None, product_data(form), image
            )
        except EditRefused as error:
            getattr(form, error.field or "name_fr").errors = [str(error)]
        else:
            flash(_("Product “%(name)s” saved.", name=saved.name_fr), "success")
            return redirect(url_for("admin.edit_product", product_id=saved.id))
    status = 400 if form.errors else 200
    return render_product_form(form, product), status


def render_product_form(form: ProductForm, product: Product | None) -> str:
    return render_template(
        "admin/catalog/product_form.html",
        form=form,
        product=product,
        delete_form=DeleteForm(formdata=None),
        has_orders=product is not None and product_was_ordered(product.id),
    )


@bp.route("/products/new", methods=["GET", "POST"])
def new_product() -> ResponseReturnValue:
    """Create a product."""
    return edit_product_screen(None)


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
def edit_product(product_id: int) -> ResponseReturnValue:
    """Edit a product and add images to it."""
    return edit_product_screen(db.get_or_404(Product, product_id))


@bp.post("/products/<int:product_id>/stock")
def adjust_stock(product_id: int) -> ResponseReturnValue:
    """The quick stock adjustment from the list; back to the same list page."""
    product = db.get_or_404(Product, product_id)
    form = StockForm()
    if form.validate_on_submit():
        set_stock(product_id, form.stock.data)
        flash(
            _(
                "Stock of “%(name)s”: %(stock)s.",
                name=product.name_fr,
                stock=form.stock.data,
            ),
            "success",
        )
    else:
        flash(
            _(
                "Stock of “%(name)s” not changed: give a whole number from 0.",
                name=product.name_fr,
            ),
            "error",
        )
    target = url_for(
        "admin.products",
        q=request.args.get("q") or None,
        page=request.args.get("page", type=int),
    )
    return redirect(target)


@bp.post("/products/<int:product_id>/delete")
def delete_product(product_id: int) -> ResponseReturnValue:
    """Delete a product, or take it off sale when it has been ordered."""
    product = db.get_or_404(Product, product_id)
    name = product.name_fr
    form = DeleteForm()
    if not form.validate_on_submit():
        flash(_("The form has expired; please try again."), "error")
        return redirect(url_for("admin.edit_product", product_id=product_id))
    ordered = product_was_ordered(product_id)
    if not form.confirm.data and not ordered:
        flash(_("Nothing deleted: tick the box to confirm."), "warning")
        return redirect(url_for("admin.edit_product", product_id=product_id))
    if remove_product(product_id, ordered=ordered):
        flash(_("Product “%(name)s” deleted.", name=name), "success")
    else:
        flash(
            _(
                "“%(name)s” has orders, so it was taken off sale instead of deleted.",
                name=name,
            ),
            "warning",
        )
    return redirect(url_for("admin.products"))


# --- categories ---------------------------------------------------------------------


@bp.get("/categories")
def categories() -> ResponseReturnValue:
    """The category list with the number of products in each."""
    page, term = searched_page(Category, Category.position, Category.name_fr)
    return render_template("admin/catalog/categories.html", page=page, term=term)


def edit_category_screen(category: Category | None) -> ResponseReturnValue:
    form = CategoryForm(obj=category)
    if form.validate_on_submit():
        data = CategoryData(
            name_fr=form.name_fr.data,
            name_en=form.name_en.data,
            slug=form.slug.data or "",
            position=form.position.data,
        )
        try:
            saved = save_category(category.id if category else None, data)
        except EditRefused as error:
            getattr(form, error.field or "name_fr").errors = [str(error)]
        else:
            flash(_("Category “%(name)s” saved.", name=saved.name_fr), "success")
            return redirect(url_for("admin.categories"))
    status = 400 if form.errors else 200
    return render_template(
        "admin/catalog/category_form.html",
        form=form,
        category=category,
        delete_form=DeleteForm(formdata=None),
    ), status


@bp.route("/categories/new", methods=["GET", "POST"])
def new_category() -> ResponseReturnValue:
    """Create a category."""
    return edit_category_screen(None)


@bp.route("/categories/<int:category_id>/edit", methods=["GET", "POST"])
def edit_category(category_id: int) -> ResponseReturnValue:
    """Edit a category."""
    return edit_category_screen(db.get_or_404(Category, category_id))


@bp.post("/categories/<int:category_id>/delete")
def remove_category(category_id: int) -> ResponseReturnValue:
    """Delete an empty category."""
    db.get_or_404(Category, category_id)
    form = DeleteForm()
    if not form.validate_on_submit():
        flash(_("The form has expired; please try again."), "error")
        return redirect(url_for("admin.edit_category", category_id=category_id))
    if not form.confirm.data:
        flash(_("Nothing deleted: tick the box to confirm."), "warning")
        return redirect(url_for("admin.edit_category", category_id=category_id))
    try:
        delete_category(category_id)
    except EditRefused as error:
        flash(str(error), "error")
        return redirect(url_for("admin.edit_category", category_id=category_id))
    flash(_("Category deleted."), "success")
    return redirect(url_for("admin.categories"))

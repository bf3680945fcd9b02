"""Build step: make the wheel carry what the shop reads at run time.

The repository keeps ``templates/``, ``static/`` and ``migrations/`` at the top level
(see DESIGN.md) and never commits compiled catalogues. An installed copy has no
source tree beside it, so setuptools' ``build_py`` is extended (through
``[tool.setuptools.cmdclass]`` in pyproject.toml) to copy the three folders into
the built ``eshop`` package, to compile each ``.po`` catalogue to the ``.mo``
Flask-Babel reads, and to write the brotli and gzip copies of the static files
that WhiteNoise serves (``eshop/static_files.py``). ``eshop.resource_dir`` finds
them there. An editable install (``pip install -e .``, which ``make`` uses) builds
nothing: the app reads the source tree, and ``create_app`` compiles stale
catalogues and compressed copies in place.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools.command.build_py import build_py
from whitenoise.compress import Compressor

ROOT = Path(__file__).resolve().parent
SHIPPED_FOLDERS = ("templates", "static", "migrations")
LEFT_OUT = shutil.ignore_patterns(
    "__pycache__", "*.pyc", "uploads", ".*", "*.br", "*.gz"
)  # compressed copies are made afresh below, never taken from the source tree


class BuildPy(build_py):
    """setuptools' build_py, plus the shop's folders and compiled catalogues."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        package = Path(self.build_lib) / "eshop"
        for name in SHIPPED_FOLDERS:
            target = package / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(ROOT / name, target, ignore=LEFT_OUT)
        compressor = Compressor(quiet=True)
        for path in sorted((package / "static").rglob("*")):
            if path.is_file() and compressor.should_compress(path.name):
                compressor.compress(str(path))  # .br and .gz, when they are smaller
        for po_path in (ROOT / "eshop").glob("*/translations/*/LC_MESSAGES/*.po"):
            mo_path = package / po_path.relative_to(ROOT / "eshop").with_suffix(".mo")
            mo_path.parent.mkdir(parents=True, exist_ok=True)
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file)
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog)

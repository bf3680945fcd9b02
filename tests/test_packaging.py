"""What a deployer installs: the wheel carries everything the shop reads at run time.

The full check (a fresh virtual env, `flask db upgrade`, gunicorn answering French
and English pages from another directory) is `.ci/check-installed-wheel`, run by CI.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import eshop

ROOT = Path(__file__).resolve().parent.parent
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "instance", "test-artifacts", "build", "dist", "*.egg-info",
    "__pycache__", "*.pyc", "*.mo", ".pytest_cache", ".ruff_cache", "uploads",
)  # fmt: skip


def build_wheel(tmp_path: Path) -> zipfile.ZipFile:
    """Build the wheel from a clean copy of the sources, as `pip install .` would."""
    sources = tmp_path / "src"
    shutil.copytree(ROOT, sources, ignore=NOT_SOURCES)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"]
        + ["--wheel-dir", str(tmp_path / "dist"), str(sources)],
        check=True,
        capture_output=True,
        timeout=240,
    )
    (wheel,) = (tmp_path / "dist").glob("lavande-*.whl")
    return zipfile.ZipFile(wheel)


def test_the_wheel_carries_config_templates_static_migrations_and_catalogues(
    tmp_path,
):
    with build_wheel(tmp_path) as wheel:
        names = set(wheel.namelist())
    assert "config.py" in names  # `import config` works from an installed copy
    for folder in ("templates", "static", "migrations"):
        tracked = {
            path.relative_to(ROOT).as_posix()
            for path in (ROOT / folder).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
            and "uploads" not in path.parts
        }  # fmt: skip
        assert tracked, folder
        missing = {path for path in tracked if f"eshop/{path}" not in names}
        assert not missing, f"the wheel lacks {sorted(missing)[:5]}"
    for po in (ROOT / "eshop").glob("*/translations/*/LC_MESSAGES/messages.po"):
        compiled = po.relative_to(ROOT).with_suffix(".mo").as_posix()
        assert compiled in names, f"the wheel lacks the compiled {compiled}"
    assert not any(name.endswith(".po") for name in names)


def test_a_source_tree_serves_its_own_folders(monkeypatch):
    # given the tests run from the repository (an editable install or a clone)
    monkeypatch.delenv("LAVANDE_INSTANCE_PATH", raising=False)
    assert eshop.runs_from_source_tree()
    # then templates, static files, migrations and instance/ are where they live
    for folder in ("templates", "static", "migrations"):
        assert eshop.resource_dir(folder) == ROOT / folder
    assert eshop.instance_path_for(None) == str(ROOT / "instance")

"""Without wrk, the storefront benchmark says how to install it (no traceback)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

STOREFRONT = Path(__file__).resolve().parent.parent / "benchmarks" / "storefront.py"


def test_the_storefront_benchmark_without_wrk_says_how_to_install_it(tmp_path):
    finished = subprocess.run(
        [sys.executable, str(STOREFRONT), "--duration", "1"],
        env={"PATH": str(tmp_path)},  # an empty folder: no wrk on the path
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 1
    assert "apt-get install wrk" in finished.stderr
    assert "Traceback" not in finished.stderr

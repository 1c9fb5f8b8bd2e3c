"""mypy --strict accepts the examples (when mypy is installed)."""

import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python"


def test_examples_type_check_strictly() -> None:
    pytest.importorskip("mypy")
    files = sorted(str(p) for p in EXAMPLES.glob("*.py"))
    assert files
    r = subprocess.run([sys.executable, "-m", "mypy", "--strict", *files], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr

"""The notebooks as shipped: no outputs committed, a parameters cell, no logic, and they run (nbval)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs_with_one_parameters_cell_and_no_definitions(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert not any(c.get("outputs") or c.get("execution_count") for c in code)
    assert sum("parameters" in c.get("metadata", {}).get("tags", []) for c in code) == 1
    for c in code:
        source = "".join(c["source"])
        assert "def " not in source and "class " not in source, source
        assert len([line for line in source.splitlines() if line.strip() and not line.startswith("#")]) <= 8


@pytest.mark.slow
def test_notebooks_run_on_the_bundled_sample_with_nbval():
    result = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
                             *map(str, NOTEBOOKS)], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]

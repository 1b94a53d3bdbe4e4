"""Where the bundled notebooks and sample clients live (installed wheel or source checkout).

Found through the package (``importlib.resources``), never through the current directory, so
``opsdiag report`` works from any folder after ``pip install``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

DEFAULT_SAMPLE = "acme-robotics"


def bundled_path(name: str) -> Path:
    """``notebooks`` or ``data_samples``: the wheel's copy, else the source checkout's."""
    packaged = Path(str(resources.files("opsdiag"))) / "_bundled" / name
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"opsdiag installation is missing its bundled {name}/ folder")


def notebooks_dir() -> Path:
    return bundled_path("notebooks")


def samples_dir() -> Path:
    return bundled_path("data_samples")


def default_data_dir() -> Path:
    """The bundled default sample client (``opsdiag report`` with no DATA_DIR)."""
    return samples_dir() / DEFAULT_SAMPLE

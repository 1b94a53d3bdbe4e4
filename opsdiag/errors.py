"""The small exception hierarchy every opsdiag message goes through.

Messages name the file, row, column or key and what was expected, so the CLI can print them as
one line and a consultant can fix the input without reading a traceback.
"""

from __future__ import annotations

from pathlib import Path


class OpsdiagError(Exception):
    """Base of every error opsdiag raises on purpose."""


class UsageError(OpsdiagError):
    """The command was called wrongly (missing folder, bad option value): exit code 2."""


class ConfigError(OpsdiagError):
    """engagement.yaml is unreadable or a key holds a value of the wrong type."""


class InputFormatError(OpsdiagError):
    """An input file cannot be read as the format it claims to be.

    Parameters
    ----------
    path : the file.
    message : what was wrong and what was expected.
    row : spreadsheet row (the header is row 1), or None when the problem is the whole file.
    column : the column (or JSON key) holding the bad value.
    item : the item id on that row, when known.
    """

    def __init__(self, path: str | Path, message: str, *, row: int | None = None,
                 column: str | None = None, item: str | None = None):
        self.path = str(path)
        self.row = row
        self.column = column
        self.item = item
        self.detail = message
        where = [Path(self.path).name]
        if row is not None:
            where.append(f"row {row}")
        if item:
            where.append(f"item {item}")
        if column:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}")


class NotebookError(OpsdiagError):
    """A report notebook failed; the message names the notebook and the failing cell."""

"""Where uploaded files that are never public live (Charter evidence, material attachments,
CSV files awaiting confirmation): outside the static folder, served only by routes that check
access. They are written with ``write_private`` (0600 files in 0700 folders)."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from stagebourse.filemodes import make_private_dir, write_private

__all__ = ["make_private_dir", "private_files_dir", "write_private"]


def private_files_dir(*parts: str) -> Path:
    """``PRIVATE_FILES_DIR``, else the instance folder, then ``parts``."""
    configured = current_app.config.get("PRIVATE_FILES_DIR")
    base = Path(configured) if configured else Path(current_app.instance_path)
    return base.joinpath(*parts)

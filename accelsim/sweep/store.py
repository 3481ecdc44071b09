"""Crash-safe storage of finished points: one JSON file per point, named by the point's key and
written atomically, so an interrupted sweep keeps every point it finished and nothing half-done."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from accelsim.atomic import write_text
from accelsim.sweep.execute import Outcome

log = logging.getLogger(__name__)


class PointStore:
    """Finished points under ``folder``: ``<key>.json`` each."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> Outcome | None:
        """The stored outcome of ``key``, or None if absent or unreadable (then it runs again)."""
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            return Outcome.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("%s: unreadable stored point (%s); it will run again", path, error)
            return None

    def put(self, outcome: Outcome) -> Path:
        return write_text(self.path(outcome.key), json.dumps(outcome.to_json()))

"""A media storage whose disk fills up: it writes part of a file, then fails with ENOSPC."""

from __future__ import annotations

import errno
import os
from typing import Any

from django.core.files.storage import FileSystemStorage


class FullDiskStorage(FileSystemStorage):
    """Saves ``saves_left`` files normally; the next one is cut short by a full disk."""

    saves_left = 0

    def _save(self, name: str, content: Any) -> str:
        if FullDiskStorage.saves_left > 0:
            FullDiskStorage.saves_left -= 1
            return super()._save(name, content)
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        content.seek(0)
        data = content.read()
        with open(path, "wb") as handle:
            handle.write(data[: max(1, len(data) // 2)])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)

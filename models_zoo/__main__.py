"""``python -m models_zoo``: see :mod:`models_zoo.cli`."""

from __future__ import annotations

from models_zoo.cli import main

raise SystemExit(main())

"""What the history app tells the apps built on it (the study log listens).

- ``comparison_opened``: a user's comparison was served by the compare API
  (``GET /api/v1/compare/``). Sender: the view's class; arguments ``user`` and ``ids`` (the
  compared experiments' ids, in the order asked for). Sent only for a comparison that was
  found and built, never for a refused request.
"""

from __future__ import annotations

from django.dispatch import Signal

comparison_opened = Signal()

"""What the drawing app tells the apps built on it (the study log listens to both).

- ``drawn_class_saved``: a drawn class was created or redrawn. Sender: ``ShapeClass``;
  arguments ``shape_class``, ``user``, ``created`` (True for a new class) and ``strokes``
  (the pen strokes the page counted for this save, or None when it sent none).
- ``highlight_saved``: a highlight was painted or repainted. Sender: ``Highlight``;
  arguments ``highlight``, ``user``, ``created`` and ``strokes``, as above.

Both are sent by ``drawing.services`` inside the saving transaction, once the row is stored,
so what a receiver writes commits or rolls back with the save.
"""

from __future__ import annotations

from django.dispatch import Signal

drawn_class_saved = Signal()
highlight_saved = Signal()

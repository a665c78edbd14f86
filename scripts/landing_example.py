"""Draws the landing page's example, ``static/img/landing-example.png``, from real runs.

The paper's second comparison with its preset (box, line, circle, triangle, noise, blurred
noise; black start, step 0.005, 100 epochs), trained once as the MLP and once as the CNN
with the same seed: the shapes on top, each model's generated images under them, |r| under
each image. Prints the numbers, which the page's text and alternative text repeat.

The same figure is drawn twice from the same runs: at its size on the page, and at twice
that (``landing-example-2x.png``, every pixel and letter drawn at double size, not scaled
up) for high-density screens, which the page offers through ``srcset``.

    .venv/bin/python scripts/landing_example.py [--seed 3]
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
CLASSES = ["box", "line", "circle", "tri", "noise", "noise_blur"]
OUT = ROOT / "static" / "img" / "landing-example.png"
# The figure at twice the pixel density, for screens with two device pixels per CSS pixel.
OUT_2X = ROOT / "static" / "img" / "landing-example-2x.png"
SCALE = 3
CELL = 28 * SCALE
GAP = 10
LABEL_WIDTH = 44
TEXT_HEIGHT = 16
# The built-in font's size at 1x, in pixels, and the colour of the text.
FONT_SIZE = 11
INK = (20, 30, 40)


def draw_figure(rows: list[tuple[str, list]], render: Any, density: int) -> bytes:
    """The figure as a PNG, every length multiplied by ``density``: the images are enlarged
    with crisp pixels and the text is drawn at that size (the built-in bitmap font at 1x, its
    scalable version at larger sizes)."""
    scale, cell, gap = SCALE * density, CELL * density, GAP * density
    label_width, text_height = LABEL_WIDTH * density, TEXT_HEIGHT * density
    font = None if density == 1 else ImageFont.load_default(size=FONT_SIZE * density)
    shapes = rows[0][1]
    width = label_width + len(shapes) * (cell + gap)
    height = gap + cell + gap + len(rows) * (cell + text_height + gap)
    canvas = Image.new("RGB", (width, height), color=(255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    for column, outcome in enumerate(shapes):
        left = label_width + column * (cell + gap)
        canvas.paste(render.to_image(outcome.template, scale), (left, gap))
    top = gap + cell + gap
    for label, outcomes in rows:
        draw.text((4 * density, top + cell // 2 - 6 * density), label, fill=INK, font=font)
        for column, outcome in enumerate(outcomes):
            left = label_width + column * (cell + gap)
            canvas.paste(render.to_image(outcome.image, scale), (left, top))
            r = "undefined" if outcome.r is None else f"{outcome.r:.2f}"
            draw.text((left, top + cell + 2 * density), f"|r| = {r}", fill=INK, font=font)
        top += cell + text_height + gap
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from models_zoo import pipeline, render
    from models_zoo.config import PRESETS, RunConfig

    rows: list[tuple[str, list]] = []
    for model in ("mlp", "cnn"):
        config = RunConfig.from_dict(
            {**PRESETS["paper"], "classes": CLASSES, "model": model, "seed": args.seed}
        )
        result = pipeline.run(config)
        rows.append((model.upper(), result.classes))
        numbers = ", ".join(f"{o.key} {o.r:.2f}" for o in result.classes if o.r is not None)
        print(f"{model}: accuracy {result.training.accuracy:.3f}; |r| {numbers}")

    for out, density in ((OUT, 1), (OUT_2X, 2)):
        data = draw_figure(rows, render, density)
        out.write_bytes(data)
        print(f"wrote {out.relative_to(ROOT)} ({len(data) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

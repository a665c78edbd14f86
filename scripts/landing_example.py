"""Draws the landing page's example, ``static/img/landing-example.png``, from real runs.

The paper's second comparison with its preset (box, line, circle, triangle, noise, blurred
noise; black start, step 0.005, 100 epochs), trained once as the MLP and once as the CNN
with the same seed: the shapes on top, each model's generated images under them, |r| under
each image. Prints the numbers, which the page's text and alternative text repeat.

    .venv/bin/python scripts/landing_example.py [--seed 3]
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
CLASSES = ["box", "line", "circle", "tri", "noise", "noise_blur"]
OUT = ROOT / "static" / "img" / "landing-example.png"
SCALE = 3
CELL = 28 * SCALE
GAP = 10
LABEL_WIDTH = 44
TEXT_HEIGHT = 16


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

    shapes = rows[0][1]
    width = LABEL_WIDTH + len(shapes) * (CELL + GAP)
    height = GAP + CELL + GAP + len(rows) * (CELL + TEXT_HEIGHT + GAP)
    canvas = Image.new("RGB", (width, height), color=(255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    for column, outcome in enumerate(shapes):
        left = LABEL_WIDTH + column * (CELL + GAP)
        canvas.paste(render.to_image(outcome.template, SCALE), (left, GAP))
    top = GAP + CELL + GAP
    for label, outcomes in rows:
        draw.text((4, top + CELL // 2 - 6), label, fill=(20, 30, 40))
        for column, outcome in enumerate(outcomes):
            left = LABEL_WIDTH + column * (CELL + GAP)
            canvas.paste(render.to_image(outcome.image, SCALE), (left, top))
            r = "undefined" if outcome.r is None else f"{outcome.r:.2f}"
            draw.text((left, top + CELL + 2), f"|r| = {r}", fill=(20, 30, 40))
        top += CELL + TEXT_HEIGHT + GAP
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG", optimize=True)
    OUT.write_bytes(buffer.getvalue())
    print(f"wrote {OUT.relative_to(ROOT)} ({len(buffer.getvalue()) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Drawing a class and highlighting it in a real browser, trained by a real task worker."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from drawing.models import Highlight, ShapeClass
from experiments.models import Experiment
from models_zoo import shapes
from tests.browser.test_builder import choose_epochs, log_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

RUN_TIMEOUT_MS = 120_000


def cell(box: dict[str, float], row: float, col: float) -> tuple[float, float]:
    """The screen point at the centre of one grid cell of a canvas."""
    return (
        box["x"] + (col + 0.5) * box["width"] / 28,
        box["y"] + (row + 0.5) * box["height"] / 28,
    )


def stroke(page: Page, canvas_id: str, *cells: tuple[int, int]) -> None:
    """Presses the mouse on the first cell, drags through the others and lets go."""
    box = page.locator(f"#{canvas_id}").bounding_box()
    assert box is not None
    page.mouse.move(*cell(box, *cells[0]))
    page.mouse.down()
    for row, col in cells[1:]:
        page.mouse.move(*cell(box, row, col), steps=4)
    page.mouse.up()


def percent(share: float) -> str:
    """A share as the effects table writes it: a percentage with one decimal."""
    return f"{share * 100:.1f}%"


def page_problems(page: Page) -> list[str]:
    """A list that fills with the page's script errors and console errors."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    return problems


def train(page: Page) -> Any:
    """Starts a run and waits for its new row to finish; returns the row."""
    rows = page.locator(".result-row")
    before = rows.count()
    page.get_by_role("button", name="Train and Visualize").click()
    expect(rows).to_have_count(before + 1)
    # Held by id: a later run's row goes above it.
    row = page.locator(f"#experiment-{rows.first.get_attribute('data-id')}")
    expect(row).to_have_attribute("data-status", "done", timeout=RUN_TIMEOUT_MS)
    return row


def test_draw_derive_train_highlight_and_compare(
    page: Page, live_server: Any, qcluster: Any, alice: Any
) -> None:
    problems = page_problems(page)
    base = live_server.url
    log_in(page, base, alice.username, PASSWORD)

    # Draw a house with the mouse: walls in three thick strokes, then a roof.
    page.get_by_role("button", name="Draw a class").click()
    panel = page.locator("#draw-panel")
    expect(panel).to_be_visible()
    page.get_by_label("Name", exact=True).fill("House")
    panel.get_by_label("3 px").check()
    for row in (15, 18, 21):
        stroke(page, "draw-canvas", (row, 9), (row, 18))
    stroke(page, "draw-canvas", (12, 8), (7, 14), (12, 20))

    # A stray stroke is undone by Ctrl+Z, redone by Ctrl+Shift+Z, and undone again.
    stroke(page, "draw-canvas", (2, 2), (2, 5))
    page.keyboard.press("Control+z")
    expect(page.locator("#draw-redo")).to_be_enabled()
    page.keyboard.press("Control+Shift+z")
    expect(page.locator("#draw-redo")).to_be_disabled()
    page.get_by_role("button", name="Undo").click()

    page.get_by_role("button", name="Save class").click()
    expect(page.locator("#draw-status")).to_have_text("Saved “House”: it is selected for training.")
    house = ShapeClass.objects.get(owner=alice, name="House")
    pixels = np.asarray(house.pixels)
    assert pixels[14:23, 8:20].min() == 1.0  # the walls
    assert pixels[7, 14] == 1.0 and pixels[11, 9] == 1.0  # the roof
    assert pixels[2, 3] == 0.0 and pixels[0:5, 0:6].max() == 0.0  # the undone stroke
    house_key = f"drawn:{house.pk}"
    house_thumb = page.locator(f'.thumb[data-class="{house_key}"]')
    expect(house_thumb).to_have_attribute("aria-pressed", "true")
    expect(house_thumb).to_contain_text("Yours")

    # Derive a variant from the catalogue's triangle and add a chimney.
    page.get_by_role("button", name="Draw a class").click()
    page.get_by_label("Derive from").select_option("tri")
    page.get_by_role("button", name="Start from it").click()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Triangle variant")
    panel.get_by_label("1 px").check()
    stroke(page, "draw-canvas", (3, 20), (6, 20))
    page.get_by_role("button", name="Save class").click()
    expect(page.locator("#draw-status")).to_contain_text("Saved “Triangle variant”")
    variant_class = ShapeClass.objects.get(owner=alice, name="Triangle variant")
    variant = np.asarray(variant_class.pixels)
    triangle = shapes.get("tri").image()
    assert variant[3:7, 20].min() == 1.0
    changed = np.argwhere(np.abs(variant - triangle) > 1e-6)
    assert {(int(r), int(c)) for r, c in changed} <= {(r, 20) for r in range(3, 7)}
    page.get_by_role("button", name="Close").click()
    expect(panel).to_be_hidden()

    # Train on the drawn house beside two catalogue shapes (the variant stays out).
    page.locator(f'.thumb[data-class="drawn:{variant_class.pk}"]').click()
    page.locator(".thumb[data-class=box]").click()
    page.locator(".thumb[data-class=line]").click()
    expect(page.locator("#selection-count")).to_contain_text("3 selected")
    choose_epochs(page, 5)
    page.get_by_text("Advanced").click()
    page.get_by_label("Copies per class").fill("5")
    page.get_by_label("Iteration cap").fill("20")
    row = train(page)
    plain = Experiment.objects.get(owner=alice, number=1)
    assert plain.class_keys == ["box", "line", house_key]
    expect(row.locator(".card")).to_have_count(3)
    expect(row.locator(f'.card[data-class="{house_key}"] .card-name')).to_have_text("House")

    # Paint a red region (not part of the class) in the house's empty top-left corner.
    page.get_by_role("button", name="Highlight House").click()
    expect(page.get_by_label("Class", exact=True)).to_have_value(house_key)
    expect(page.get_by_label("Red: not part of the class")).to_be_checked()
    panel.get_by_label("3 px").check()
    for row_index in (1, 3):
        stroke(page, "highlight-canvas", (row_index, 1), (row_index, 3))
    page.get_by_role("button", name="Save highlight").click()
    expect(page.locator("#draw-status")).to_have_text("Saved the highlight of House.")
    highlight = Highlight.objects.get(owner=alice, class_ref=house_key)
    red = np.asarray(highlight.irrelevant)
    assert red[0:5, 0:5].min() == 1 and red.sum() == 25
    assert np.asarray(highlight.relevant).sum() == 0
    expect(house_thumb).to_have_attribute("data-highlighted", "true")
    expect(house_thumb.locator(".thumb-overlay")).to_have_count(1)

    # Train again with the penalty on: the row shows what it did inside the red region.
    page.locator("input[name=highlight][value=rrr]").check()
    expect(page.get_by_label("Penalty weight λ")).to_have_value("10.0")
    row = train(page)
    highlighted = Experiment.objects.get(owner=alice, number=2)
    assert highlighted.config["highlight"] == "rrr"
    assert highlighted.config["highlight_lambda"] == 10.0
    [effect] = highlighted.highlight_effects
    expect(row.locator(".result-meta")).to_contain_text("highlighting: penalty, λ 10")
    effects_row = row.locator(f'.effects-table tr[data-class="{house_key}"]')
    expect(effects_row.locator("th")).to_have_text("House")
    expect(effects_row.locator(".effect-energy")).to_have_text(percent(effect["energy_share"]))
    expect(effects_row.locator(".effect-saliency")).to_have_text(percent(effect["saliency_share"]))

    # The comparison: the same run without highlighting, side by side.
    row.get_by_role("button", name="Run experiment 2 again without highlighting, same seed").click()
    expect(row.locator(".baseline-energy")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    highlighted.refresh_from_db()
    baseline = highlighted.highlight_baseline
    assert baseline is not None and baseline.status == "done"
    assert baseline.seed == highlighted.seed and baseline.config["highlight"] == "none"
    [plain_effect] = baseline.highlight_effects
    heading = f"Without highlighting [{baseline.number}]"
    expect(row.locator(".effects-table")).to_contain_text(heading)
    expect(effects_row.locator(".baseline-energy")).to_have_text(
        percent(plain_effect["energy_share"])
    )
    expect(effects_row.locator(".baseline-saliency")).to_have_text(
        percent(plain_effect["saliency_share"])
    )
    assert problems == []


def test_upload_edit_and_delete_an_own_class(
    page: Page, live_server: Any, alice: Any, tmp_path: Any
) -> None:
    base = live_server.url
    log_in(page, base, alice.username, PASSWORD)
    page.get_by_role("button", name="Draw a class").click()

    # A bad file gets a clear error and leaves the grid empty.
    text_file = tmp_path / "notes.png"
    text_file.write_text("not a picture")
    page.get_by_label("Or upload a picture").set_input_files(str(text_file))
    expect(page.locator("#draw-error")).to_have_text("Image: the file is not a PNG or JPEG image")
    page.get_by_role("button", name="Save class").click()
    expect(page.locator("#draw-error")).to_have_text("Give the class a name.")

    # A scan: a dark ring on white paper becomes a light ring on black, named after the file.
    picture = np.full((90, 90), 255, dtype=np.uint8)
    picture[15:75, 15:75] = 0
    picture[30:60, 30:60] = 255
    scan = tmp_path / "ring.png"
    Image.fromarray(picture).save(scan)
    page.get_by_label("Or upload a picture").set_input_files(str(scan))
    expect(page.get_by_label("Name", exact=True)).to_have_value("ring")
    page.get_by_role("button", name="Save class").click()
    expect(page.locator("#draw-status")).to_contain_text("Saved “ring”")
    ring = ShapeClass.objects.get(owner=alice)
    pixels = np.asarray(ring.pixels)
    assert pixels[6, 14] > 0.9 and pixels[14, 14] < 0.1 and pixels[0, 0] < 0.1

    # A duplicate name is refused by the server, by name.
    page.get_by_role("button", name="Draw a class").click()
    page.get_by_label("Derive from").select_option(f"drawn:{ring.pk}")
    page.get_by_role("button", name="Start from it").click()
    page.get_by_label("Name", exact=True).fill("RING")
    page.get_by_role("button", name="Save class").click()
    expect(page.locator("#draw-error")).to_have_text("Name: you already have a class named 'RING'")
    assert ShapeClass.objects.count() == 1

    # Edit: rename and erase a pixel; the thumbnail follows.
    page.get_by_role("button", name="Edit ring").click()
    expect(page.get_by_label("Name", exact=True)).to_have_value("ring")
    page.get_by_label("Name", exact=True).fill("Ring")
    page.get_by_label("Eraser").check()
    stroke(page, "draw-canvas", (6, 14))
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#draw-status")).to_have_text("Saved the changes to “Ring”.")
    ring.refresh_from_db()
    assert ring.name == "Ring" and ring.pixels[6][14] == 0.0
    expect(page.locator(f'.thumb[data-class="drawn:{ring.pk}"]')).to_contain_text("Ring")

    # Delete, after confirming.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete Ring").click()
    expect(page.locator(f'.thumb[data-class="drawn:{ring.pk}"]')).to_have_count(0)
    expect(page.locator("#own-classes-status")).to_have_text("Deleted “Ring”.")
    assert not ShapeClass.objects.exists()


def test_highlight_a_catalogue_class_train_with_augmentation_and_delete_it(
    page: Page, live_server: Any, qcluster: Any, alice: Any
) -> None:
    problems = page_problems(page)
    log_in(page, live_server.url, alice.username, PASSWORD)

    # Mark the box's bottom-right corner, where the box never is, as not part of the class.
    page.get_by_role("button", name="Highlight a class").click()
    panel = page.locator("#draw-panel")
    expect(panel).to_be_visible()
    page.get_by_label("Class", exact=True).select_option("box")
    expect(page.get_by_label("Red: not part of the class")).to_be_checked()
    panel.get_by_label("2 px").check()
    stroke(page, "highlight-canvas", (25, 24), (25, 26))
    page.get_by_role("button", name="Save highlight").click()
    expect(page.locator("#draw-status")).to_have_text("Saved the highlight of Box.")
    highlight = Highlight.objects.get(owner=alice, class_ref="box")
    red = np.asarray(highlight.irrelevant)
    assert red[24:28, 23:28].sum() == red.sum() > 0
    box_thumb = page.locator(".thumb[data-class=box]")
    expect(box_thumb).to_have_attribute("data-highlighted", "true")
    page.get_by_role("button", name="Close").click()

    # Train with counterfactual augmentation: the row says which method was applied.
    box_thumb.click()
    page.locator(".thumb[data-class=line]").click()
    choose_epochs(page, 5)
    page.get_by_text("Advanced").click()
    page.get_by_label("Copies per class").fill("5")
    page.get_by_label("Iteration cap").fill("20")
    page.locator("input[name=highlight][value=augment]").check()
    expect(page.get_by_label("Penalty weight λ")).to_be_disabled()
    row = train(page)
    experiment = Experiment.objects.get(owner=alice, number=1)
    assert experiment.config["highlight"] == "augment"
    expect(row.locator(".result-meta")).to_contain_text("highlighting: augment")
    expect(row.locator('.effects-table tr[data-class="box"] th')).to_have_text("Box")

    # Delete the highlight: the overlay goes, and the run keeps the masks it trained with.
    page.get_by_role("button", name="Highlight a class").click()
    page.get_by_label("Class", exact=True).select_option("box")
    page.get_by_role("button", name="Delete highlight").click()
    expect(page.locator("#draw-status")).to_have_text("Deleted the highlight of Box.")
    expect(page.get_by_role("button", name="Delete highlight")).to_be_hidden()
    expect(box_thumb).not_to_have_attribute("data-highlighted", "true")
    assert not Highlight.objects.filter(owner=alice).exists()
    experiment.refresh_from_db()
    [kept] = [item for item in experiment.trained_on if item["key"] == "box"]
    assert np.array_equal(np.asarray(kept["irrelevant"]), red)
    page.reload()
    expect(page.locator(".thumb[data-class=box]")).not_to_have_attribute("data-highlighted", "true")
    assert problems == []


def test_drawing_and_highlighting_with_the_keyboard_only(
    page: Page, live_server: Any, alice: Any
) -> None:
    problems = page_problems(page)
    log_in(page, live_server.url, alice.username, PASSWORD)
    page.get_by_role("button", name="Draw a class").click()
    page.get_by_label("Name", exact=True).fill("Keys")
    # The grid takes focus as Tab would bring it there (it is in the tab order).
    page.locator("#draw-canvas").focus()
    page.keyboard.press("Space")  # the cursor starts in the middle: (14, 14)
    for _ in range(4):
        page.keyboard.press("ArrowUp")  # moves only
    page.keyboard.down("Shift")
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # paints (10, 14) to (10, 17), one stroke
    page.keyboard.up("Shift")
    # The whole Shift stroke is one undo step.
    page.keyboard.press("Control+z")
    expect(page.locator("#draw-redo")).to_be_enabled()
    page.keyboard.press("Control+Shift+z")
    page.get_by_role("button", name="Save class").click()
    expect(page.locator("#draw-status")).to_contain_text("Saved “Keys”")
    drawn = np.asarray(ShapeClass.objects.get(owner=alice, name="Keys").pixels)
    painted = {(int(r), int(c)) for r, c in np.argwhere(drawn > 0.5)}
    assert painted == {(14, 14), (10, 14), (10, 15), (10, 16), (10, 17)}

    # The highlight grid answers the same keys: a red cell on the box's corner.
    page.get_by_role("button", name="Highlight a class").click()
    page.get_by_label("Class", exact=True).select_option("box")
    page.get_by_label("Red: not part of the class").check()
    page.locator("#highlight-canvas").focus()
    for _ in range(14):
        page.keyboard.press("ArrowLeft")  # stops at the edge: column 0
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Save highlight").click()
    expect(page.locator("#draw-status")).to_have_text("Saved the highlight of Box.")
    highlight = Highlight.objects.get(owner=alice, class_ref="box")
    red = {(int(r), int(c)) for r, c in np.argwhere(np.asarray(highlight.irrelevant) > 0.5)}
    assert red == {(14, 0)}
    assert not np.asarray(highlight.relevant).any()
    assert problems == []

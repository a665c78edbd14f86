"""The admin's pages under the site's Content-Security-Policy (``style-src 'self'``): no
inline style attribute, thumbnails drawn by the admin's own style sheet, and tables named in
plain words."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from drawing import services as drawing_services
from drawing.models import Highlight, ShapeClass
from experiments import services, tasks
from experiments.admin import PREVIEW_SIZE, preview_img
from experiments.models import ClassResult

pytestmark = pytest.mark.django_db

BAR = [[1.0 if 10 <= column <= 17 else 0.0 for column in range(28)] for _ in range(28)]
INLINE_STYLE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)
THUMBNAIL = re.compile(r"<img\b[^>]*>")


@pytest.fixture
def records(alice: Any) -> dict[str, Any]:
    """One of each: a finished run with its results, a drawn class, a highlight."""
    drawn = drawing_services.drawn_class_save(user=alice, name="Bar", pixels=BAR)
    mask = [[1 if 10 <= column <= 17 else 0 for column in range(28)] for _ in range(28)]
    empty = [[0] * 28 for _ in range(28)]
    highlight = drawing_services.highlight_save(
        user=alice, ref="box", relevant=mask, irrelevant=empty
    )
    config = {"classes": ["box", "line"], "epochs": 2, "seed": 1, "max_steps": 5}
    experiment = services.experiment_create(user=alice, config=config)
    assert tasks.train_and_visualize(experiment.pk) == "done"
    result = ClassResult.objects.filter(experiment=experiment).first()
    return {"experiment": experiment, "result": result, "drawn": drawn, "highlight": highlight}


PAGES = [
    ("/admin/experiments/experiment/", None, 2),
    ("/admin/experiments/experiment/{}/change/", "experiment", 4),
    ("/admin/experiments/classresult/", None, 4),
    ("/admin/experiments/classresult/{}/change/", "result", 2),
    ("/admin/drawing/shapeclass/", None, 1),
    ("/admin/drawing/shapeclass/{}/change/", "drawn", 1),
    ("/admin/drawing/highlight/", None, 1),
    ("/admin/drawing/highlight/{}/change/", "highlight", 1),
]


@pytest.mark.parametrize(("url", "record", "thumbnails"), PAGES)
def test_admin_pages_have_no_inline_style_and_draw_thumbnails_by_class(
    staff_client: Client, records: dict[str, Any], url: str, record: str | None, thumbnails: int
) -> None:
    response = staff_client.get(url.format(records[record].pk if record else ""))
    assert response.status_code == 200
    page = response.content.decode()
    assert INLINE_STYLE.findall(page) == []
    images = [tag for tag in THUMBNAIL.findall(page) if "data:image/png;base64," in tag]
    assert len(images) == thumbnails
    size = 2 * 28
    assert PREVIEW_SIZE == size
    for tag in images:
        assert 'class="thumbnail"' in tag
        assert f'width="{size}"' in tag and f'height="{size}"' in tag
    # The style sheet that makes them sharp is the site's own file.
    assert re.search(r'<link href="/static/css/admin\.css"[^>]*rel="stylesheet"', page) or (
        re.search(r'<link rel="stylesheet"[^>]*href="/static/css/admin\.css"', page)
    )


def test_the_admin_style_sheet_draws_thumbnails_pixel_for_pixel() -> None:
    from django.contrib.staticfiles import finders

    path = finders.find("css/admin.css")
    assert path is not None
    text = Path(path).read_text(encoding="utf-8")
    rule = re.search(r"img\.thumbnail\s*\{([^}]*)\}", text)
    assert rule is not None
    body = rule.group(1)
    assert "image-rendering: pixelated" in body
    # Django's admin sizes every box border-box: a border would then squeeze the picture
    # to a width that is no multiple of 28 and blur it again.
    assert "box-sizing: content-box" in body


def test_the_sidebar_names_drawn_classes_in_plain_words(staff_client: Client) -> None:
    index = staff_client.get("/admin/").content.decode()
    assert "Drawn classes" in index and "Shape classs" not in index
    assert ShapeClass._meta.verbose_name == "drawn class"
    assert ShapeClass._meta.verbose_name_plural == "drawn classes"
    assert Highlight._meta.verbose_name_plural == "highlights"


def test_a_thumbnail_escapes_its_title_and_carries_no_style() -> None:
    tag = str(preview_img(b"\x89PNG", 'a "quoted" <title>'))
    assert 'class="thumbnail"' in tag and "style" not in tag
    assert "&quot;quoted&quot; &lt;title&gt;" in tag

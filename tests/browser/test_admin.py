"""The admin console in Chromium, on a desktop and a phone: its thumbnails obey the site's
Content-Security-Policy and are drawn sharp, each image pixel a square of whole screen pixels;
its models are named properly and the study list shows the link to join; nothing scrolls
sideways."""

from __future__ import annotations

from typing import Any

import pytest

from drawing import services as drawing_services
from experiments import services
from experiments.models import Experiment
from studies import services as study_services
from tests.browser.windows import expect_in_the_window, fits_the_window
from tests.conftest import PASSWORD
from tests.support.browser import collect_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BAR = [[1.0 if 10 <= column <= 17 else 0.0 for column in range(28)] for _ in range(28)]
# Each thumbnail: its image's own width, the width it is drawn at, how it is scaled.
MEASURE = """images => images.map(image => [
  image.naturalWidth, image.clientWidth, getComputedStyle(image).imageRendering])"""


def test_admin_lists_show_sharp_thumbnails_within_the_policy(
    live_server: Any, page: Any, alice: Any, django_user_model: Any, window: dict[str, int]
) -> None:
    django_user_model.objects.create_superuser("root", password=PASSWORD)
    drawing_services.drawn_class_save(user=alice, name="Bar", pixels=BAR)
    # The queue is synchronous here: the run is done when it is created.
    config = {"classes": ["box", "line"], "epochs": 2, "max_steps": 5, "seed": 1}
    services.experiment_create(user=alice, config=config)
    assert Experiment.objects.get().status == "done"
    study = study_services.study_create(
        created_by=alice, title="Shapes", tasks=["Train a model."], conditions=[{"name": "only"}]
    )
    violations = collect_violations(page)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    # Drawn classes are listed under their own plural.
    expect_in_the_window(
        page.locator("#content").get_by_role("link", name="Drawn classes", exact=True)
    )
    assert fits_the_window(page)
    for path, count in [("/admin/drawing/shapeclass/", 1), ("/admin/experiments/experiment/", 2)]:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        thumbnails = page.eval_on_selector_all("img.thumbnail", MEASURE)
        assert thumbnails == [[28, 56, "pixelated"]] * count, path
        for thumbnail in page.locator("img.thumbnail").all():
            expect_in_the_window(thumbnail)
        assert fits_the_window(page), path
    # The study list gives the link to send participants.
    page.goto(f"{live_server.url}/admin/studies/study/")
    join = f"/studies/join/?code={study.invite_code}"
    expect_in_the_window(page.get_by_role("link", name=join))
    assert fits_the_window(page)
    assert violations == [], "\n".join(violations)

"""The interaction log in a real browser: a participant's pages send their events, with the
page's own API calls noticed, and the study's tasks are shown, on a desktop and a phone."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django_q.conf import Conf
from playwright.sync_api import Page, expect

from studies import services
from studies.models import Event
from tests.browser.test_draw import stroke
from tests.browser.test_history import log_in
from tests.browser.windows import expect_usable, fits_the_window
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def wait_for_events(count: int, timeout: float = 15.0) -> list[Event]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = list(Event.objects.order_by("id"))
        if len(events) >= count:
            return events
        time.sleep(0.2)
    return list(Event.objects.order_by("id"))


def test_a_participants_pages_log_their_events(
    live_server: Any,
    page: Page,
    alice: Any,
    django_user_model: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Conf, "SYNC", False)  # the run is queued, not trained, here
    staff = django_user_model.objects.create_user("rita", is_staff=True)
    study = services.study_create(
        created_by=staff,
        title="Browser study",
        tasks=["Train a model on box and line."],
        conditions=[{"name": "only"}],
    )
    services.participant_join(user=alice, invite_code=study.invite_code)
    base = live_server.url

    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}/builder/")
    expect(page.get_by_text("Train a model on box and line.")).to_be_visible()

    task = page.locator(".study-tasks li").first
    # The task buttons stay disabled until the log's script listens, so no click is lost.
    start = task.get_by_role("button", name="Start")
    expect(start).to_be_enabled()
    start.click()
    expect(task.locator(".study-task-status")).to_have_text("started")
    # Picking shapes and saving a drawing are logged by the builder itself (once its script
    # has run: the redirect after logging in can be seen before the page has loaded).
    page.wait_for_load_state()
    page.locator(".thumb[data-class=box]").click()
    expect(page.locator(".thumb[data-class=box]")).to_have_attribute("aria-pressed", "true")
    page.locator(".thumb[data-class=line]").click()
    page.locator(".thumb[data-class=line]").click()
    page.get_by_role("button", name="Draw a class").click()
    page.get_by_label("Name", exact=True).fill("Bar")
    stroke(page, "draw-canvas", (5, 5), (5, 20))
    stroke(page, "draw-canvas", (9, 5), (9, 20))
    page.get_by_role("button", name="Save class").click()
    expect(page.locator("#draw-status")).to_contain_text("Saved “Bar”")
    status = page.evaluate(
        """async () => {
            const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
            const response = await fetch('/api/v1/experiments/', {
              method: 'POST',
              headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
              body: JSON.stringify({classes: ['box', 'line'], model: 'mlp', epochs: 2}),
            });
            return response.status;
        }"""
    )
    assert status == 201
    # Leaving the page sends what is still queued, with the time spent on it; the task's
    # time is measured across pages.
    page.goto(f"{base}/")
    page.locator(".study-tasks li").first.get_by_role("button", name="Done").click()

    events = wait_for_events(10)
    kinds = [event.type for event in events]
    expected = {"page_view", "classes_selected", "run_started", "time_on_page", "task_finished"}
    assert expected <= set(kinds)
    picks = [e.data for e in events if e.type == "classes_selected"]
    assert picks == [
        {"class": "box", "selected": True},
        {"class": "line", "selected": True},
        {"class": "line", "selected": False},
    ]
    drawing = next(e for e in events if e.type == "drawing_saved")
    assert drawing.data == {"strokes": 2}
    builder_view = next(e for e in events if e.type == "page_view" and e.page == "/builder/")
    assert builder_view.participant.user == alice
    run = next(e for e in events if e.type == "run_started")
    assert run.data["classes"] == ["box", "line"] and run.data["model"] == "mlp"
    spent = [e for e in events if e.type == "time_on_page"]
    assert len(spent) == 1  # leaving the builder fires two browser events; it counts once
    assert spent[0].page == "/builder/" and spent[0].data["ms"] > 0
    assert all(abs((e.server_time - e.client_time).total_seconds()) < 60 for e in events)
    started = next(e for e in events if e.type == "task_started")
    finished = next(e for e in events if e.type == "task_finished")
    assert started.data == {"task": 1} and finished.data["task"] == 1
    assert finished.data["ms"] > 0 and finished.page == "/"


def test_task_buttons_wait_for_the_log_to_listen(
    live_server: Any, page: Page, alice: Any, django_user_model: Any
) -> None:
    staff = django_user_model.objects.create_user("rita", is_staff=True)
    study = services.study_create(
        created_by=staff, title="Slow script", tasks=["Look around."], conditions=[{"name": "only"}]
    )
    services.participant_join(user=alice, invite_code=study.invite_code)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    # The log's script never arrives on this page: its buttons must not take clicks.
    page.route("**/js/events.js", lambda route: route.abort())
    page.goto(f"{live_server.url}/history/")
    start = page.locator(".study-tasks li").first.get_by_role("button", name="Start")
    expect(start).to_be_visible()
    expect(start).to_be_disabled()
    page.unroute("**/js/events.js")
    page.reload()
    expect(start).to_be_enabled()
    start.click()
    expect(page.locator(".study-task-status").first).to_have_text("started")
    deadline = time.monotonic() + 15
    while not Event.objects.filter(type="task_started").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    started = Event.objects.get(type="task_started")
    assert started.page == "/history/" and started.data == {"task": 1}


def test_a_participants_pages_show_the_tasks_and_no_template_text(
    live_server: Any, page: Page, alice: Any, django_user_model: Any, window: dict[str, int]
) -> None:
    staff = django_user_model.objects.create_user("rita", is_staff=True)
    tasks = ["Train a model on box and line.", "Compare two of your runs."]
    study = services.study_create(
        created_by=staff, title="Every page", tasks=tasks, conditions=[{"name": "only"}]
    )
    services.participant_join(user=alice, invite_code=study.invite_code)
    log_in(page, live_server.url, "alice")
    for path in ("/", "/builder/", "/history/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state()
        expect(page).to_have_url(f"{live_server.url}{path}")
        task_list = page.locator(".study-tasks")
        expect(task_list).to_be_visible()
        expect(task_list.locator("summary")).to_have_text("Study: Every page")
        expect(task_list.locator(".study-task-text")).to_have_text(tasks)
        # A template comment or tag that leaked would show its markers as text.
        shown = page.locator("body").inner_text()
        for marker in ("{#", "#}", "{%", "%}"):
            assert marker not in shown, f"{marker} on {path}"
        start = task_list.locator("li").first.get_by_role("button", name="Start")
        expect(start).to_be_enabled()
        expect_usable(start)
        assert fits_the_window(page), path
    # The last page's Start button works where it was reached.
    start.click()
    expect(page.locator(".study-task-status").first).to_have_text("started")

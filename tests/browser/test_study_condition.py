"""A participant's condition on the builder page: what it does not allow is not offered."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from studies import services
from tests.browser.test_history import log_in

pytestmark = pytest.mark.browser


def test_the_builder_offers_only_what_the_condition_allows(
    live_server: Any, page: Page, alice: Any, bob: Any, django_user_model: Any
) -> None:
    staff = django_user_model.objects.create_user("rita", is_staff=True)
    study = services.study_create(
        created_by=staff,
        title="Plain MLP",
        conditions=[
            {"name": "plain", "allowed_models": ["mlp"], "highlighting": False, "drawing": False}
        ],
    )
    services.participant_join(user=alice, invite_code=study.invite_code)

    log_in(page, live_server.url, "alice")
    expect(page.locator('input[name="model"][value="mlp"]')).to_be_checked()
    expect(page.locator('input[name="model"][value="mlp"]')).to_be_enabled()
    expect(page.locator('input[name="model"][value="cnn"]')).to_be_disabled()
    expect(page.locator("#highlighting-group")).to_be_hidden()
    expect(page.locator("#highlight-open")).to_be_hidden()
    expect(page.locator("#draw-open")).to_be_hidden()
    expect(page.locator('input[name="highlight"][value="none"]')).to_be_checked()

    page.get_by_role("button", name="Log out").click()
    log_in(page, live_server.url, "bob")
    expect(page.locator('input[name="model"][value="cnn"]')).to_be_enabled()
    expect(page.locator("#draw-open")).to_be_visible()
    expect(page.locator("#highlight-open")).to_be_visible()

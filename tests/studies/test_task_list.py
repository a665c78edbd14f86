"""The participant's task list, shown on every page while they take part in a study."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from studies import services
from studies.models import Study

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/", "/builder/", "/history/"])
def test_a_participant_sees_the_tasks_and_no_template_text(
    alice_client: Client, alice: Any, study: Study, url: str
) -> None:
    services.participant_join(user=alice, invite_code=study.invite_code)
    page = alice_client.get(url).content.decode()
    assert "Train a model on box and line." in page and study.title in page
    # A template comment that leaked would show its markers (and the text between them).
    assert "{#" not in page and "#}" not in page
    assert "on every page while they take part" not in page

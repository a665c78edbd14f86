"""Fixtures of the study tests: a staff member and a small study with two conditions."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from studies import services
from studies.models import Study
from tests.conftest import PASSWORD


@pytest.fixture
def staff(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("rita", password=PASSWORD, is_staff=True)


@pytest.fixture
def staff_api(staff: Any) -> APIClient:
    client = APIClient()
    client.force_login(staff)
    return client


@pytest.fixture
def study(staff: Any) -> Study:
    return services.study_create(
        created_by=staff,
        title="Does highlighting help?",
        description="Two arms.",
        tasks=["Train a model on box and line.", "Compare two runs."],
        conditions=[
            {"name": "mlp-only", "allowed_models": ["mlp"], "highlighting": False},
            {"name": "everything", "allowed_models": [], "highlighting": True},
        ],
    )

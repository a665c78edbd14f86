"""Every page works under the Content-Security-Policy: Chromium reports no violation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import NoReverseMatch, reverse

from experiments import services
from experiments.models import Experiment
from tests.conftest import PASSWORD
from tests.support.browser import collect_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Page names and query strings; pages this version of the site does not have are left out.
PAGES = [
    ("landing", ""),
    ("builder", ""),
    ("history", ""),
    ("compare", "?ids={ids}"),
    ("api:docs", ""),
    ("api:redoc", ""),
]


def page_paths(ids: list[int]) -> list[str]:
    paths = []
    for name, query in PAGES:
        try:
            paths.append(reverse(name) + query.format(ids=",".join(map(str, ids))))
        except NoReverseMatch:
            continue
    return paths


def test_no_page_breaks_the_content_security_policy(
    live_server: Any, page: Any, alice: Any
) -> None:
    # Two finished experiments (the queue is synchronous here: each runs as it is created),
    # so that the history and compare pages draw their charts.
    ids = [
        services.experiment_create(
            user=alice,
            config={"classes": ["box", "line"], "epochs": 2, "max_steps": 5, "seed": seed},
        ).pk
        for seed in (1, 2)
    ]
    assert set(Experiment.objects.values_list("status", flat=True)) == {"done"}
    violations = collect_violations(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{live_server.url}/builder/")
    paths = page_paths(ids)
    assert "/builder/" in paths and "/history/" in paths
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        assert response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
    # drf-spectacular's Redoc page (where the site has one) links Google's web fonts and
    # Redoc's logo on its CDN; the policy blocks those third-party requests on purpose (the
    # site works offline and tells no one else who reads its docs). The site's own must pass.
    third_party = re.compile(r"/api/v1/redoc/: Loading the \w+ 'https://(?!localhost)")
    unexpected = [text for text in violations if not third_party.search(text)]
    assert unexpected == [], "\n".join(unexpected)

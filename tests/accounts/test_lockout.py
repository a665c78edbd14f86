"""The sign-in lock-out's records: django-axes' rows in the database, shared by every process.

The rules themselves (limits, windows, the 429s, the client's address) are checked from the
outside in tests/reliability/test_security.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from time_machine import TimeMachineFixture

from tests.conftest import PASSWORD, run_in_another_process

WRONG = "not-the-password-at-all"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def token(client: Client, username: Any, password: str, address: str = "10.0.0.1") -> Any:
    body = json.dumps({"username": username, "password": password})
    return client.post(
        "/api/v1/auth/token/", body, content_type="application/json", REMOTE_ADDR=address
    )


def login_page(client: Client, username: str, password: str, address: str = "10.0.0.1") -> Any:
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def attempts(username: str, address: str) -> int:
    rows = AccessAttempt.objects.filter(username=username, ip_address=address)
    return sum(rows.values_list("failures_since_start", flat=True))


@pytest.mark.django_db
def test_each_failure_is_a_row_and_a_success_clears_only_that_address(alice: Any) -> None:
    login_page(Client(), "alice", WRONG)
    token(Client(), "Alice ", WRONG)  # the same username to the lock-out
    token(Client(), "alice", WRONG, address="10.0.0.2")
    assert attempts("alice", "10.0.0.1") == 2
    assert attempts("alice", "10.0.0.2") == 1
    assert AccessFailureLog.objects.filter(username="alice").count() == 3

    assert token(Client(), "alice", PASSWORD).status_code == 200
    assert attempts("alice", "10.0.0.1") == 0
    assert attempts("alice", "10.0.0.2") == 1
    # The ceiling per username keeps counting every failure.
    assert AccessFailureLog.objects.filter(username="alice").count() == 3


@pytest.mark.django_db
def test_a_username_sent_as_a_json_number_is_locked_out_like_any_other(
    django_user_model: Any, settings: Any
) -> None:
    """The token endpoint reads `{"username": 12345678}` as the user "12345678"; the lock-out
    counts that username as authentication reads it, not only string usernames."""
    django_user_model.objects.create_user("12345678", password=PASSWORD)
    settings.LOGIN_FAILURE_LIMIT = 2
    client = Client()
    assert token(client, 12345678, WRONG).status_code == 400
    assert token(client, 12345678, WRONG).status_code == 400
    locked = token(client, 12345678, PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.json()["detail"]
    assert attempts("12345678", "10.0.0.1") == 2


@pytest.mark.django_db(transaction=True)
def test_failures_made_in_another_process_lock_this_one_out(alice: Any, settings: Any) -> None:
    """Two web server processes see one count: failures made by a separate Python process on
    the same database lock the username out here, with no cache shared between the two."""
    settings.LOGIN_FAILURE_LIMIT = 3
    fail_three_times = (
        "import json\n"
        "from django.test import Client\n"
        "body = json.dumps({'username': 'alice', 'password': 'wrong'})\n"
        "for _ in range(3):\n"
        "    response = Client().post('/api/v1/auth/token/', body,\n"
        "        content_type='application/json', REMOTE_ADDR='10.9.9.9')\n"
        "    print(response.status_code)\n"
    )
    assert run_in_another_process(fail_three_times) == ["400", "400", "400"]
    assert attempts("alice", "10.9.9.9") == 3

    assert token(Client(), "alice", PASSWORD, address="10.9.9.9").status_code == 429
    assert token(Client(), "alice", PASSWORD, address="10.9.9.8").status_code == 200


@pytest.mark.django_db
def test_the_failure_log_keeps_the_newest_rows_of_a_username(
    alice: Any, settings: Any, time_machine: TimeMachineFixture
) -> None:
    """Past AXES_ACCESS_FAILURE_LOG_PER_USER_LIMIT rows, the oldest go: the ceiling per
    username needs the newest."""
    time_machine.move_to(START, tick=False)
    settings.AXES_ACCESS_FAILURE_LOG_PER_USER_LIMIT = 2
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 2
    settings.LOGIN_ACCOUNT_WINDOW = 60
    settings.LOGIN_FAILURE_LIMIT = 10
    for minute in range(4):  # each failure in a window of its own: no lock
        time_machine.move_to(START.replace(minute=2 * minute), tick=False)
        assert login_page(Client(), "alice", WRONG).status_code == 200
    kept = AccessFailureLog.objects.filter(username="alice").values_list("attempt_time", flat=True)
    assert sorted(kept) == [START.replace(minute=4), START.replace(minute=6)]


@pytest.mark.django_db
def test_the_ceiling_per_username_survives_a_full_failure_log(
    alice: Any, settings: Any, time_machine: TimeMachineFixture
) -> None:
    """A username whose failure log is full is still locked by the ceiling: new failures are
    kept and counted, old ones go."""
    time_machine.move_to(START, tick=False)
    settings.AXES_ACCESS_FAILURE_LOG_PER_USER_LIMIT = 3
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 3
    settings.LOGIN_ACCOUNT_WINDOW = 60
    # Three old failures fill the log, a window before the three new ones.
    for n in range(3):
        login_page(Client(), "alice", WRONG, address=f"10.2.0.{n}")
    time_machine.move_to(START.replace(minute=5), tick=False)
    for n in range(3):
        assert login_page(Client(), "alice", WRONG, address=f"10.3.0.{n}").status_code == 200
    assert login_page(Client(), "alice", PASSWORD, address="10.4.0.1").status_code == 429


@pytest.mark.django_db(transaction=True)
def test_migrate_creates_the_lockout_tables_and_takes_them_away() -> None:
    """The lock-out's tables come with `migrate` and nothing else: axes' own migrations, all
    applied, and reversible."""
    executor = MigrationExecutor(connection)
    leaves = [node for node in executor.loader.graph.leaf_nodes() if node[0] == "axes"]
    assert leaves
    assert set(leaves) <= set(MigrationRecorder(connection).applied_migrations())
    tables = {AccessAttempt._meta.db_table, AccessFailureLog._meta.db_table}
    assert tables <= set(connection.introspection.table_names())

    executor.migrate([("axes", None)])
    assert not tables & set(connection.introspection.table_names())
    executor = MigrationExecutor(connection)
    executor.migrate(leaves)
    assert tables <= set(connection.introspection.table_names())
    assert token(Client(), "nobody", WRONG).status_code == 400
    assert AccessFailureLog.objects.filter(username="nobody").count() == 1


@pytest.mark.django_db
def test_staff_see_the_failures_in_the_admin(alice: Any, django_user_model: Any) -> None:
    """The admin lists axes' records: where staff look up, and delete, a lock-out."""
    login_page(Client(), "alice", WRONG)
    admin = django_user_model.objects.create_superuser("root", password=PASSWORD)
    client = Client()
    client.force_login(admin)
    for url in ("/admin/axes/accessattempt/", "/admin/axes/accessfailurelog/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "alice" in response.content.decode()

"""Moving models between apps keeps every row: a populated database migrated forward.

Drawn classes, highlights and saved comparisons moved from the experiments app into the drawing
and history apps. The test goes back to the schema before the move, fills the old models with
data through the historical models of that time, migrates forward, and reads everything back
through today's models, with the content types (and so the permissions) moved along.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE_THE_MOVE = [
    ("experiments", "0006_experiment_sent_at"),
    ("drawing", None),
    ("history", None),
]


def _migrate(targets: list[tuple[str, str | None]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    nodes = [target for target in targets if target[1] is not None]
    return executor.loader.project_state(nodes).apps


def _latest() -> list[tuple[str, str | None]]:
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_moving_the_models_to_their_apps_keeps_every_row() -> None:
    old = _migrate(BEFORE_THE_MOVE)
    user = old.get_model("auth", "User").objects.create(username="carol", password="x")
    pixels = [[0.0] * 28 for _ in range(28)]
    pixels[3][4] = 1.0
    shape_class = old.get_model("experiments", "ShapeClass").objects.create(
        owner_id=user.pk, key="drawn-1", name="Dot", pixels=pixels
    )
    mask = [[0] * 28 for _ in range(28)]
    mask[3][4] = 1
    old.get_model("experiments", "Highlight").objects.create(
        owner_id=user.pk,
        class_ref=f"drawn:{shape_class.pk}",
        shape_class_id=shape_class.pk,
        relevant=mask,
        irrelevant=[[0] * 28 for _ in range(28)],
    )
    experiment = old.get_model("experiments", "Experiment").objects.create(
        owner_id=user.pk,
        number=1,
        config={"classes": ["box", "line"]},
        model_name="mlp",
        class_keys=["box", "line"],
        seed=3,
        status="done",
    )
    old.get_model("experiments", "SavedComparison").objects.create(
        owner_id=user.pk, name="Mine", experiment_ids=[experiment.pk], options={"all": True}
    )
    # The permissions of the old models, as post_migrate would have made them.
    old_type = ContentType.objects.get_or_create(app_label="experiments", model="shapeclass")[0]
    Permission.objects.get_or_create(
        content_type=old_type, codename="view_shapeclass", defaults={"name": "Can view"}
    )

    _migrate(_latest())

    from drawing.models import Highlight, ShapeClass
    from experiments.models import Experiment
    from history.models import SavedComparison

    moved_class = ShapeClass.objects.get(pk=shape_class.pk)
    assert (moved_class.owner.username, moved_class.name, moved_class.pixels) == (
        "carol",
        "Dot",
        pixels,
    )
    highlight = Highlight.objects.get(owner__username="carol")
    assert highlight.shape_class == moved_class and highlight.relevant == mask
    comparison = SavedComparison.objects.get(owner__username="carol")
    assert comparison.experiment_ids == [experiment.pk] and comparison.options == {"all": True}
    assert Experiment.objects.get(pk=experiment.pk).class_keys == ["box", "line"]
    moved_type = ContentType.objects.get(pk=old_type.pk)
    assert (moved_type.app_label, moved_type.model) == ("drawing", "shapeclass")
    assert Permission.objects.get(codename="view_shapeclass").content_type == moved_type
    # Deleting a user still removes what is theirs, through the moved foreign keys.
    moved_class.owner.delete()
    assert not ShapeClass.objects.exists() and not SavedComparison.objects.exists()

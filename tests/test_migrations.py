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


BEFORE_POOL_GRADIENT = [
    ("experiments", "0011_experiment_test_accuracy"),
    ("sweeps", "0002_drain_schedule"),
]


@pytest.mark.django_db(transaction=True)
def test_runs_stored_before_the_pool_gradient_setting_keep_the_rule_they_ran_with() -> None:
    old = _migrate(BEFORE_POOL_GRADIENT)
    user = old.get_model("auth", "User").objects.create(username="dana", password="x")
    Experiment = old.get_model("experiments", "Experiment")

    def stored(number: int, model: str, config: dict[str, Any]) -> int:
        row = Experiment.objects.create(
            owner_id=user.pk,
            number=number,
            config={"classes": ["box", "line"], "model": model, **config},
            model_name=model,
            class_keys=["box", "line"],
            seed=number,
            status="done",
        )
        return int(row.pk)

    old_cnn = stored(1, "cnn", {})
    old_mlp = stored(2, "mlp", {})
    new_cnn = stored(3, "cnn", {"pool_gradient": "shared"})
    Sweep = old.get_model("sweeps", "Sweep")
    fields = {"owner_id": user.pk, "seeds": 2}
    numbers = iter(range(1, 10))
    cnn_sweep = Sweep.objects.create(
        number=next(numbers), config={"model": "cnn"}, vary={}, **fields
    )
    varied = Sweep.objects.create(
        number=next(numbers), config={"model": "mlp"}, vary={"model": ["mlp", "cnn"]}, **fields
    )
    mlp_sweep = Sweep.objects.create(
        number=next(numbers), config={"model": "mlp"}, vary={}, **fields
    )

    _migrate(_latest())

    from experiments.models import Experiment as Current
    from sweeps.models import Sweep as CurrentSweep

    assert Current.objects.get(pk=old_cnn).config["pool_gradient"] == "single"
    assert "pool_gradient" not in Current.objects.get(pk=old_mlp).config
    assert Current.objects.get(pk=new_cnn).config["pool_gradient"] == "shared"
    assert CurrentSweep.objects.get(pk=cnn_sweep.pk).config["pool_gradient"] == "single"
    assert CurrentSweep.objects.get(pk=varied.pk).config["pool_gradient"] == "single"
    assert "pool_gradient" not in CurrentSweep.objects.get(pk=mlp_sweep.pk).config

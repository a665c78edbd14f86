"""Sweeps stored before ``pool_gradient`` existed generated with TensorFlow's own max-pool
gradient: a sweep with a CNN among its runs now says so in its base settings (see the
experiments app's migration 0012)."""

from django.db import migrations

POOLING_MODELS = ("cnn", "cnn_deep")


def mark_single(apps, schema_editor):
    Sweep = apps.get_model("sweeps", "Sweep")
    for sweep in Sweep.objects.only("id", "config").iterator():
        pooling = sweep.config.get("model") in POOLING_MODELS or "model" in (sweep.vary or {})
        if "pool_gradient" in sweep.config or not pooling:
            continue
        sweep.config = {**sweep.config, "pool_gradient": "single"}
        sweep.save(update_fields=["config"])


class Migration(migrations.Migration):
    dependencies = [
        ("sweeps", "0002_drain_schedule"),
    ]

    operations = [
        migrations.RunPython(mark_single, migrations.RunPython.noop),
    ]

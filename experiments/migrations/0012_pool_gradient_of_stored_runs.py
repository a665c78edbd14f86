"""Runs stored before ``pool_gradient`` existed generated their images with TensorFlow's own
max-pool gradient: their configurations now say so, rather than taking the new default
("shared") when read. Models without pooling (the MLP) are left as they are: the setting
changes nothing for them, and marking it would split them from newer runs in comparisons."""

from django.db import migrations

POOLING_MODELS = ("cnn", "cnn_deep")


def mark_single(apps, schema_editor):
    Experiment = apps.get_model("experiments", "Experiment")
    stale = Experiment.objects.filter(model_name__in=POOLING_MODELS)
    for experiment in stale.only("id", "config").iterator():
        if "pool_gradient" in experiment.config:
            continue
        experiment.config = {**experiment.config, "pool_gradient": "single"}
        experiment.save(update_fields=["config"])


class Migration(migrations.Migration):
    dependencies = [
        ("experiments", "0011_experiment_test_accuracy"),
    ]

    operations = [
        migrations.RunPython(mark_single, migrations.RunPython.noop),
    ]

"""Saved comparisons move here from the experiments app, table and rows unchanged."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MODELS = ('savedcomparison',)


def move_content_types(apps, schema_editor):
    """Permissions and admin history follow the models to their new app."""
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="experiments", model__in=MODELS).update(
        app_label="history"
    )


def move_content_types_back(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="history", model__in=MODELS).update(
        app_label="experiments"
    )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('experiments', '0006_experiment_sent_at'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables stay where they are (Meta.db_table keeps their names): only Django's
        # idea of which app owns the models changes, so no row is copied and none is lost.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SavedComparison',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=80)),
                        ('experiment_ids', models.JSONField(help_text="The compared experiments' ids, in column order.")),
                        ('options', models.JSONField(blank=True, default=dict, help_text='Base column, all settings.')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='saved_comparisons', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'experiments_savedcomparison',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['owner', '-created_at'], name='saved_comparison_owner')],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]

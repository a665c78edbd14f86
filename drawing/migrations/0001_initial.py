"""Drawn classes and highlights move here from the experiments app, tables and rows unchanged."""

import django.db.models.deletion
import experiments.models
from django.conf import settings
from django.db import migrations, models


MODELS = ('shapeclass', 'highlight')


def move_content_types(apps, schema_editor):
    """Permissions and admin history follow the models to their new app."""
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="experiments", model__in=MODELS).update(
        app_label="drawing"
    )


def move_content_types_back(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="drawing", model__in=MODELS).update(
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
                    name='ShapeClass',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.SlugField(help_text='Stable name used in run configurations.', max_length=64)),
                        ('name', models.CharField(max_length=80)),
                        ('pixels', models.JSONField(help_text='28 rows of 28 numbers in [0, 1].', validators=[experiments.models.validate_pixels])),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('owner', models.ForeignKey(blank=True, help_text='Empty for classes every user can see.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='shape_classes', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'experiments_shapeclass',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='Highlight',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('class_ref', models.CharField(max_length=64)),
                        ('relevant', models.JSONField(help_text='The yellow mask.', validators=[experiments.models.validate_pixels])),
                        ('irrelevant', models.JSONField(help_text='The red mask.', validators=[experiments.models.validate_pixels])),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='highlights', to=settings.AUTH_USER_MODEL)),
                        ('shape_class', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='highlights', to='drawing.shapeclass')),
                    ],
                    options={
                        'db_table': 'experiments_highlight',
                        'ordering': ['class_ref'],
                    },
                ),
                migrations.AddIndex(
                    model_name='shapeclass',
                    index=models.Index(fields=['owner', 'created_at'], name='shape_class_owner_created'),
                ),
                migrations.AddConstraint(
                    model_name='shapeclass',
                    constraint=models.UniqueConstraint(fields=('owner', 'name'), name='shape_class_unique_name'),
                ),
                migrations.AddConstraint(
                    model_name='shapeclass',
                    constraint=models.UniqueConstraint(fields=('owner', 'key'), name='shape_class_unique_key'),
                ),
                migrations.AddConstraint(
                    model_name='shapeclass',
                    constraint=models.UniqueConstraint(condition=models.Q(('owner__isnull', True)), fields=('name',), name='shape_class_unique_shared_name'),
                ),
                migrations.AddConstraint(
                    model_name='shapeclass',
                    constraint=models.UniqueConstraint(condition=models.Q(('owner__isnull', True)), fields=('key',), name='shape_class_unique_shared_key'),
                ),
                migrations.AddConstraint(
                    model_name='highlight',
                    constraint=models.UniqueConstraint(fields=('owner', 'class_ref'), name='highlight_unique_class'),
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]

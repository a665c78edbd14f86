"""Drawn classes, highlights and saved comparisons now belong to the drawing and history apps."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('drawing', '0001_initial'),
        ('history', '0001_initial'),
        ('experiments', '0006_experiment_sent_at'),
    ]

    operations = [
        # The tables stay where they are (Meta.db_table keeps their names): only Django's
        # idea of which app owns the models changes, so no row is copied and none is lost.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='savedcomparison',
                    name='owner',
                ),
                migrations.RemoveField(
                    model_name='shapeclass',
                    name='owner',
                ),
                migrations.DeleteModel(
                    name='Highlight',
                ),
                migrations.DeleteModel(
                    name='SavedComparison',
                ),
                migrations.DeleteModel(
                    name='ShapeClass',
                ),
            ],
        ),
    ]

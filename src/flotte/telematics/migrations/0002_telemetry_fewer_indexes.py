"""Telemetry rows lose the indexes of their box and vehicle alone: the
unique (box, seq) and the (vehicle, ts) index start with those columns and
serve the same lookups (and the cascades of a deleted box or vehicle), and
each index costs every row the gateway stores."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('fleet', '0002_box_link_state'),
        ('telematics', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='telemetry',
            name='box',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='fleet.box'),
        ),
        migrations.AlterField(
            model_name='telemetry',
            name='vehicle',
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='fleet.vehicle'),
        ),
    ]

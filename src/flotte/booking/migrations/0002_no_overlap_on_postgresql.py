"""No two blocking bookings of one vehicle overlap: a PostgreSQL exclusion
constraint over (vehicle, [start, blocked_until)). It needs the btree_gist
extension (created here when the database user may; otherwise a DBA runs
`CREATE EXTENSION btree_gist` once). SQLite relies on the write-locked
check in `booking_create`."""

from django.db import migrations

CONSTRAINT = """
ALTER TABLE booking_booking ADD CONSTRAINT booking_no_overlap
EXCLUDE USING gist (vehicle_id WITH =, tstzrange(start, blocked_until, '[)') WITH &&)
WHERE (state IN ('confirmed', 'started'))
"""


def add(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(CONSTRAINT)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE booking_booking DROP CONSTRAINT booking_no_overlap")


class Migration(migrations.Migration):
    dependencies = [("booking", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]

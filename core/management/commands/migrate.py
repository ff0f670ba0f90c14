"""`migrate` runs as the table-owning role, never as the row-level-secured application role."""

from django.core.management.commands import migrate

from core.db.rls import owner_mode


class Command(migrate.Command):
    def handle(self, *args, **options):
        with owner_mode():
            return super().handle(*args, **options)

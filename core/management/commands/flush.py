"""`flush` (used between transactional tests) truncates as the table-owning role."""

from django.core.management.commands import flush

from core.db.rls import owner_mode


class Command(flush.Command):
    def handle(self, **options):
        with owner_mode():
            return super().handle(**options)

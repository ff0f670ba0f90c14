"""Re-encrypt every encrypted field with the newest key in FIELD_ENCRYPTION_KEYS (run after prepending a key)."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from core import tenancy
from core.fields import EncryptedTextField


class Command(BaseCommand):
    help = "Re-encrypt secrets at rest with the newest FIELD_ENCRYPTION_KEYS entry; older keys can then be dropped."

    def handle(self, *args, **options):
        total = 0
        with tenancy.platform_access():
            for model in apps.get_models():
                fields = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
                if not fields:
                    continue
                manager = model._default_manager
                for pk in manager.values_list("pk", flat=True).iterator():
                    with transaction.atomic():
                        row = manager.select_for_update().get(pk=pk)
                        # Reading decrypts with any known key; saving encrypts with the newest one.
                        model._base_manager.filter(pk=pk).update(**{name: getattr(row, name) for name in fields})
                        total += 1
                self.stdout.write(f"{model._meta.label}: re-encrypted {', '.join(fields)}")
        self.stdout.write(self.style.SUCCESS(f"{total} rows re-encrypted."))

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Platform core"

    def ready(self) -> None:
        from core.api.fields import register_model_field_mapping
        from core.db import rls

        rls.connect_signals()
        register_model_field_mapping()

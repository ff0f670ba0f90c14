from django.apps import AppConfig


class SocialConfig(AppConfig):
    name = "social"

    def ready(self) -> None:
        # GET /tenant/usage: the tenants app reports these figures without importing social.
        from core import extensions
        from social import selectors

        extensions.register_usage_counter("channels", lambda: selectors.channels().count())
        extensions.register_usage_counter("storageBytes", selectors.storage_used_bytes)

from django.apps import AppConfig


class SocialConfig(AppConfig):
    name = "social"

    def ready(self) -> None:
        # GET /tenant/usage: the tenants app reports these figures without importing social.
        from rest_framework import serializers

        from core import extensions
        from social import selectors
        from social.services.channels import ATTENTION_EVENT

        # Counted like the plan limit counts them (disconnected channels are free).
        extensions.register_usage_counter("channels", selectors.active_channel_count)
        extensions.register_usage_counter("storageBytes", selectors.storage_used_bytes)
        extensions.register_notice(ATTENTION_EVENT, title="Channel needs attention")
        # Tenant setting used by social.services.shortlinks: OWN shortens through the tenant's bit.ly account.
        extensions.register_tenant_setting(
            "shortener_mode",
            lambda: serializers.ChoiceField(
                choices=["OFF", "GENERIC", "OWN"],
                required=False,
                allow_null=True,
                help_text="Who shortens links: GENERIC (Hubbub, default), OWN (the tenant's bit.ly account), OFF.",
            ),
        )

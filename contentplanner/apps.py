from django.apps import AppConfig


class ContentplannerConfig(AppConfig):
    name = "contentplanner"

    def ready(self) -> None:
        # Media used by a scheduled or publishing post cannot be deleted from the library.
        from contentplanner.selectors import posts_blocking_media
        from social.services.media import register_media_usage_checker

        register_media_usage_checker(posts_blocking_media)

        # The approval chain is a tenant setting (PATCH /tenant settings validates it with the other settings).
        from contentplanner.api.serializers.planner import approval_chain_field
        from core import extensions

        extensions.register_tenant_setting("approval_chain", approval_chain_field)

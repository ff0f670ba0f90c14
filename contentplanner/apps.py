from django.apps import AppConfig


class ContentplannerConfig(AppConfig):
    name = "contentplanner"

    def ready(self) -> None:
        # Media used by a post cannot be deleted from the library; short links may name only the tenant's posts.
        from contentplanner.selectors import post_visible_exists, posts_blocking_media
        from social.services.media import register_media_usage_checker
        from social.services.shortlinks import register_post_lookup

        register_media_usage_checker(posts_blocking_media)
        register_post_lookup(post_visible_exists)

        # The approval workflow's tenant settings (PATCH /tenant validates them with the other apps' settings).
        from contentplanner.api.serializers.planner import APPROVAL_SETTINGS
        from core import extensions

        for name, field in APPROVAL_SETTINGS.items():
            extensions.register_tenant_setting(name, field)

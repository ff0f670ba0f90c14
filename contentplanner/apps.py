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

        # The approval chain is a tenant setting (PATCH /tenant settings validates it with the other settings).
        from contentplanner.api.serializers.planner import approval_chain_field
        from core import extensions

        extensions.register_tenant_setting("approval_chain", approval_chain_field)

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

        # The notices contentplanner sends (core.notify); each new tenant gets an editable workflow for each.
        # Client notices go to people outside the workspace: email only.
        for name, title, is_critical in (
            ("contentplanner.comment.mentioned", "Mentioned in a comment", False),
            ("contentplanner.post.assigned", "Post assigned", False),
            ("contentplanner.approval.requested", "Approval requested", False),
            ("contentplanner.approval.reminder", "Approval reminder", False),
            ("contentplanner.approval.approved", "Post approved", False),
            ("contentplanner.approval.rejected", "Post rejected", False),
            ("contentplanner.approval.expired", "Approval expired", False),
            ("contentplanner.approval.client_approved", "Client approved", False),
            ("contentplanner.approval.client_rejected", "Client rejected", False),
            ("contentplanner.approval.client_requested", "Client approval request", True),
            ("contentplanner.approval.client_reminder", "Client approval reminder", True),
        ):
            extensions.register_notice(name, title=title, is_critical=is_critical)

from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = "Community forums"

    def ready(self) -> None:
        # The community's enums get their own OpenAPI names: `status` and `kind` mean other things in other apps.
        from django.conf import settings

        settings.SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
            {
                "CommunityMemberStatusEnum": "community.models.MemberStatus",
                "CommunityContentStatusEnum": "community.models.ContentStatus",
                "CommunityRoleKindEnum": "community.models.RoleKind",
                "CommunityRolePermissionEnum": "community.models.RolePermission",
                "CommunityBoardVisibilityEnum": "community.models.BoardVisibility",
                "CommunitySignupModeEnum": "community.models.SignupMode",
                "CommunityTagRefTypeEnum": "community.models.TagRefType",
            }
        )

        from community import events

        events.register_webhook_event_types()

from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants and identity"

    def ready(self) -> None:
        # The role policy lives here, not in core: every Principal built anywhere gets its admin/visibility facts.
        from core.auth import set_principal_policy
        from tenants.roles import principal_policy

        set_principal_policy(principal_policy)

        # Cached principals (tenants.principal_cache) are outdated when a row they are built from changes.
        from django.db.models.signals import post_delete, post_save

        from tenants.models import ApiKey, AuthSession, Membership, Tenant, User
        from tenants.principal_cache import on_saved_or_deleted

        for model in (Tenant, User, Membership, ApiKey, AuthSession):
            post_save.connect(on_saved_or_deleted, sender=model, dispatch_uid=f"principal-cache-save-{model.__name__}")
            post_delete.connect(
                on_saved_or_deleted, sender=model, dispatch_uid=f"principal-cache-delete-{model.__name__}"
            )
        # The tenant notice tenants sends (core.notify): each new tenant gets an editable workflow for it. Password
        # resets and email verification belong to the account, not to a tenant: they are plain emails.
        from core import extensions

        extensions.register_notice("tenants.member_invited", title="Invitation", is_critical=True)

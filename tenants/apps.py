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

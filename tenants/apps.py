from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants and identity"

    def ready(self) -> None:
        # The role policy lives here, not in core: every Principal built anywhere gets its admin/visibility facts.
        from core.auth import set_principal_policy
        from tenants.roles import principal_policy

        set_principal_policy(principal_policy)

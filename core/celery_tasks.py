"""The base class of every Celery task: tenant context from the `tenant_id` argument, cleared in `finally`."""

from __future__ import annotations

from celery import Task

from core import tenancy


class TenantTask(Task):
    """Tasks that act for one tenant take `tenant_id` as a keyword argument; platform tasks take none.

    The context is cleared before and after every run, so a worker process never carries the previous task's tenant.
    """

    abstract = True
    acks_late = True
    reject_on_worker_lost = True

    def __call__(self, *args, **kwargs):
        from tenants.models import Tenant

        tenancy.clear_tenant()
        try:
            tenant_id = kwargs.get("tenant_id")
            if tenant_id is None:
                return super().__call__(*args, **kwargs)
            with tenancy.platform_access():
                tenant = Tenant.objects.filter(pk=tenant_id).first()
            if tenant is None:
                return None  # the tenant was deleted after the task was queued: nothing to do
            with tenancy.tenant_context(tenant):
                return super().__call__(*args, **kwargs)
        finally:
            tenancy.clear_tenant()

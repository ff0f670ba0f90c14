"""The base class of every Celery task: a fresh tenancy state per run, the tenant from the `tenant_id` argument."""

from __future__ import annotations

from celery import Task

from core import tenancy


class TenantTask(Task):
    """Tasks that act for one tenant take `tenant_id` as a keyword argument; platform tasks take none.

    Each run starts from an empty tenancy state and restores the previous one on exit (token reset), so a worker
    process never carries the previous task's tenant. A task has no principal: its audit entries say "system".
    """

    abstract = True
    acks_late = True
    reject_on_worker_lost = True

    def __call__(self, *args, **kwargs):
        with tenancy.fresh_state():
            tenant_id = kwargs.get("tenant_id")
            if tenant_id is None:
                return super().__call__(*args, **kwargs)
            with tenancy.platform_access():
                tenant = tenancy.get_tenant_model()._default_manager.filter(pk=tenant_id).first()
            if tenant is None:
                return None  # the tenant was deleted after the task was queued: nothing to do
            with tenancy.tenant_context(tenant):
                return super().__call__(*args, **kwargs)

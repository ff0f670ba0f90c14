"""Every Celery task runs under the tenant it names and never inherits a previous task's tenant."""

import pytest

from config.celery import app
from core import tenancy


@app.task(name="core.tests.current_tenant_probe")
def current_tenant_probe(*, tenant_id=None):
    return str(tenancy.get_current_tenant_id())


def test_task_runs_in_the_tenant_it_names(tenant):
    assert current_tenant_probe.apply(kwargs={"tenant_id": str(tenant.pk)}).get() == str(tenant.pk)


def test_task_without_tenant_does_not_inherit_the_callers_tenant(tenant):
    with tenancy.tenant_context(tenant):
        assert current_tenant_probe.apply().get() == "None"
    assert tenancy.get_current_tenant_id() is None


def test_tasks_for_different_tenants_in_one_worker_do_not_leak(tenant, other_tenant):
    results = [
        current_tenant_probe.apply(kwargs={"tenant_id": str(t.pk)}).get() for t in (tenant, other_tenant, tenant)
    ]
    assert results == [str(tenant.pk), str(other_tenant.pk), str(tenant.pk)]
    assert tenancy.get_current_tenant_id() is None


def test_task_for_a_deleted_tenant_does_nothing(db):
    import uuid

    assert current_tenant_probe.apply(kwargs={"tenant_id": str(uuid.uuid4())}).get() is None


@pytest.mark.parametrize(
    "setting, expected",
    [
        ("task_serializer", "json"),
        ("accept_content", ["json"]),
        ("task_acks_late", True),
        ("task_reject_on_worker_lost", True),
        ("worker_prefetch_multiplier", 1),
    ],
)
def test_celery_settings_are_explicit(setting, expected):
    assert app.conf[setting] == expected


def test_task_time_limit_is_below_the_broker_visibility_timeout(settings):
    if settings.REDIS_URL:
        assert app.conf.task_time_limit < app.conf.broker_transport_options["visibility_timeout"]
    else:
        assert app.conf.broker_url.startswith("sqla+sqlite:")
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit

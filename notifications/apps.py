from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications and webhooks"

    def ready(self) -> None:
        from core import extensions, notify
        from notifications import webhook_events
        from notifications.services.defaults import install_for_new_tenant
        from notifications.services.notices import deliver_notice

        # Every app's notices now run through the tenant's workflows (see services/notices.py).
        notify.set_deliverer(deliver_notice)
        # Each new tenant gets the editable workflows of every registered notice.
        extensions.register_tenant_created("notifications.defaults", install_for_new_tenant)
        extensions.register_notice("webhook.endpoint_disabled", title="Webhook endpoint disabled")
        webhook_events.register_own()

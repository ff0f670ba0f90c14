from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications and webhooks"

    def ready(self) -> None:
        from core import notify
        from notifications.services.notices import deliver_notice

        # Every app's notices now run through the tenant's workflows (see services/notices.py).
        notify.set_deliverer(deliver_notice)

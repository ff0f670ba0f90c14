from django.apps import AppConfig


class ContentplannerConfig(AppConfig):
    name = "contentplanner"

    def ready(self) -> None:
        # Media used by a scheduled or publishing post cannot be deleted from the library.
        from contentplanner.selectors import posts_blocking_media
        from social.services.media import register_media_usage_checker

        register_media_usage_checker(posts_blocking_media)

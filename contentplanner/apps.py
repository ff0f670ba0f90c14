from django.apps import AppConfig


class ContentplannerConfig(AppConfig):
    name = "contentplanner"

from django.apps import AppConfig


class LivestreamsConfig(AppConfig):
    name = "livestreams"

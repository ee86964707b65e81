from django.apps import AppConfig


class DemoConfig(AppConfig):
    """`manage.py demo` and `simulate_live`: a scripted live played through the real webhook and pipeline,
    with the Meta payloads it posts. Nothing in production imports it."""

    name = "demo"

from django.apps import AppConfig


class PipelineConfig(AppConfig):
    """The stages that carry a comment to a reply (claims, payments), their sweeps and scheduler, and the
    commands that run them. It composes the domain apps below it and owns no table."""

    name = "pipeline"

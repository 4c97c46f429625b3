from django.apps import AppConfig


class ApiConfig(AppConfig):
    """培训平台接口: the training platforms' and bases' API keys and the JSON API through which their
    completion records arrive (hours.TrainingRecord). Above hours, below portal."""

    name = "api"
    verbose_name = "培训平台接口"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "门户"

    def ready(self):
        from django.urls import register_converter

        from .converters import IdConverter

        # Registered before any URL configuration is read (ready() runs in django.setup()).
        register_converter(IdConverter, "id")

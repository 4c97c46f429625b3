"""Form widgets rendered from Django's own Jinja2 widget templates.

Through the Django template engine a widget costs an include per option: the two 27-year selects
of 学时证书打印 took a third of that page's CPU. Jinja2 compiles the same templates to Python.
The admin's widgets (and any other app's) exist only as Django templates, so a name Jinja2 does not
know falls back to the default renderer."""
from django.forms.renderers import DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


class WidgetRenderer(Jinja2):
    fallback = DjangoTemplates()

    def get_template(self, template_name):
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return self.fallback.get_template(template_name)

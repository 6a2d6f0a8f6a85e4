"""The composer's form renderer: Django's own widget templates, and the one field
wrapper (label, control, help, errors) in templates/generations/_field.html that
`{{ form.<name>.as_field_group }}` draws."""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.template import TemplateDoesNotExist, loader


class ComposerRenderer(DjangoTemplates):
    field_template_name = "generations/_field.html"

    def get_template(self, template_name: str):
        # Django's form engine knows the widget templates but not the project's templates/
        # folder (django.forms is not an installed app): look there for what it lacks.
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return loader.get_template(template_name)

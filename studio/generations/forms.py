from __future__ import annotations

from django import forms

from studio.upstream import facts


def _choices(values):
    return [(v, v) for v in values]


class GenerationForm(forms.Form):
    prompt = forms.CharField(
        max_length=facts.PROMPT_MAX_CHARS,
        min_length=1,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Describe the image…"}),
        help_text=f"What to make or change, up to {facts.PROMPT_MAX_CHARS:,} characters.",
    )
    type = forms.ChoiceField(
        choices=[("image", "Generate"), ("image_edit", "Edit an image")],
        initial="image",
        widget=forms.RadioSelect,
        help_text="Generate from text (and references), or edit a source image.",
    )
    aspect_ratio = forms.ChoiceField(
        choices=_choices(facts.ASPECT_RATIOS),
        initial="1:1",
        help_text="Shape of the output; the long side is always 2048 px.",
    )
    style = forms.ChoiceField(
        choices=[("auto", "Auto"), ("manga", "Manga")],
        initial="auto",
        help_text="A style preset.",
    )
    model = forms.ChoiceField(
        choices=[("uni-1", "uni-1"), ("uni-1-max", "uni-1-max (higher quality, higher price)")],
        initial="uni-1",
    )
    output_format = forms.ChoiceField(
        choices=[("png", "PNG"), ("jpeg", "JPEG")], initial="png", label="Output format"
    )
    web_search = forms.BooleanField(
        required=False,
        label="Web search",
        help_text="Let the agent search the web for reference images before generating.",
    )

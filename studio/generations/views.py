from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import services
from .access import get_generation_for
from .forms import GenerationForm
from .models import Generation, Output


def _studio_context(request: HttpRequest, form: GenerationForm) -> dict:
    generations = (
        Generation.objects.filter(user=request.user)
        .prefetch_related("outputs")
        .order_by("-created_at", "-id")[:60]
    )
    return {"form": form, "generations": generations}


@login_required
def studio(request: HttpRequest) -> HttpResponse:
    return render(request, "generations/studio.html", _studio_context(request, GenerationForm()))


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    form = GenerationForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(
            request, "generations/studio.html", _studio_context(request, form), status=400
        )
    services.create_generation(user=request.user, data=form.cleaned_data)
    return redirect("studio")


@login_required
def detail(request: HttpRequest, generation_id: int) -> HttpResponse:
    gen = get_generation_for(request.user, generation_id)
    return render(request, "generations/detail.html", {"gen": gen})


def _output_for(request: HttpRequest, generation_id: int, position: int) -> Output:
    gen = get_generation_for(request.user, generation_id)
    try:
        return gen.outputs.get(position=position)
    except Output.DoesNotExist:
        raise Http404("No such output") from None


@login_required
def output_file(request: HttpRequest, generation_id: int, position: int) -> FileResponse:
    out = _output_for(request, generation_id, position)
    ext = "png" if out.media_type == "image/png" else "jpg"
    return FileResponse(
        out.file.open("rb"),
        content_type=out.media_type,
        as_attachment="download" in request.GET,
        filename=f"studio-{generation_id}-{position + 1}.{ext}",
    )


@login_required
def output_thumbnail(request: HttpRequest, generation_id: int, position: int) -> FileResponse:
    out = _output_for(request, generation_id, position)
    response = FileResponse(out.thumbnail.open("rb"), content_type="image/webp")
    response["Cache-Control"] = "private, max-age=86400"
    return response

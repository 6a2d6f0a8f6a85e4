from django.conf import settings


def studio(request):
    return {"simulator_enabled": settings.SIMULATOR_ENABLED}

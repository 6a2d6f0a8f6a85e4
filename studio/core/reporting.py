"""Error reports (DEBUG's error page, the admins' error mail) without the provider key."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.views.debug import SafeExceptionReporterFilter


class KeyHidingFilter(SafeExceptionReporterFilter):
    """Django's filter already hides settings named like *KEY*; this also hides any frame
    variable whose value shows the provider API key. The key sits in request headers in
    our client's frame and in every requests/urllib3 frame below it, so marking one
    function @sensitive_variables would not be enough."""

    def get_traceback_frame_variables(self, request, tb_frame) -> list[tuple[str, Any]]:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        key = settings.LUMA_AGENTS_API_KEY
        if not key:
            return variables
        return [
            (name, self.cleansed_substitute if _shows(value, key) else value)
            for name, value in variables
        ]


def _shows(value: Any, key: str) -> bool:
    try:
        return key in repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not break the report
        return True

from django.contrib import admin

from .models import StagedUpload


@admin.register(StagedUpload)
class StagedUploadAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "original_name", "media_type", "width", "height", "created_at"]
    list_select_related = ["user"]
    readonly_fields = ["token", "file", "media_type", "width", "height", "bytes", "created_at"]

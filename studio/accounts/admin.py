from django.contrib import admin

from .models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "upstream_user_id"]
    search_fields = ["user__username", "upstream_user_id"]
    readonly_fields = ["upstream_user_id"]

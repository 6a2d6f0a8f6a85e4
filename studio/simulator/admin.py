from django.contrib import admin

from .models import SimulatedJob, SimulatorTrigger


@admin.register(SimulatedJob)
class SimulatedJobAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "type", "model", "aspect_ratio", "forced_outcome"]
    list_filter = ["type", "model", "style", "forced_outcome"]
    search_fields = ["id", "prompt", "user_id"]
    date_hierarchy = "created_at"


@admin.register(SimulatorTrigger)
class SimulatorTriggerAdmin(admin.ModelAdmin):
    list_display = ["key", "status", "created_at"]
    list_filter = ["status"]

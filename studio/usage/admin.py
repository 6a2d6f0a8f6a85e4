from django.contrib import admin

from . import budgets
from .models import Budget


@admin.register(Budget)
class BudgetAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "team", "monthly_usd", "updated_at"]
    list_filter = [("team", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "team__name"]

    def save_model(self, request, obj: Budget, form, change) -> None:
        before = Budget.objects.filter(pk=obj.pk).values_list("monthly_usd", flat=True).first()
        super().save_model(request, obj, form, change)
        budgets.record_change(obj, before=before, actor=request.user)

    def delete_model(self, request, obj: Budget) -> None:
        before = obj.monthly_usd
        obj.monthly_usd = None
        budgets.record_change(obj, before=before, actor=request.user)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

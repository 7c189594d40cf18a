from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from solidaria.accounts.models import ApiToken, User


@admin.register(User)
class SolidariaUserAdmin(UserAdmin):
    list_display = ("username", "email", "role", "is_active", "date_joined")
    list_filter = ("role", "is_active", "is_staff")
    fieldsets = (*UserAdmin.fieldsets, ("Network", {"fields": ("role",)}))


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "is_active")
    readonly_fields = ("prefix", "token_hash")

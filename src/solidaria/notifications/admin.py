from django.contrib import admin

from solidaria.notifications.models import MailSettings, Notification, Preference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "delivery", "read_at", "sent_at")
    list_filter = ("kind", "delivery")
    search_fields = ("user__username", "dedupe_key")
    readonly_fields = ("created_at",)
    raw_id_fields = ("user", "actor")


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "delivery", "updated_at")
    list_filter = ("kind", "delivery")
    raw_id_fields = ("user",)


@admin.register(MailSettings)
class MailSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "language")
    raw_id_fields = ("user",)

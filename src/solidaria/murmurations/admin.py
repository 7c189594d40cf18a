from django.contrib import admin

from solidaria.murmurations.models import Node


@admin.register(Node)
class NodeAdmin(admin.ModelAdmin):
    list_display = ("profile_url", "status", "name", "country", "locality", "last_updated")
    list_filter = ("status", "country")
    search_fields = ("profile_url", "name", "node_id")
    readonly_fields = ("node_id", "received_at", "fetched_at", "profile_hash", "last_updated")

from django.contrib import admin

from solidaria.directory.models import Concept, Organisation, PendingEdit, Provenance


class ProvenanceInline(admin.TabularInline):
    model = Provenance
    extra = 0
    readonly_fields = ("source", "source_id", "imported_at", "is_primary", "fingerprint")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "country", "locality", "status", "updated_at")
    list_filter = ("status", "country")
    search_fields = ("name", "web_domain", "postcode")
    readonly_fields = ("name_key", "web_domain", "created_at", "updated_at")
    inlines = [ProvenanceInline]
    list_per_page = 50
    show_full_result_count = False


@admin.register(Concept)
class ConceptAdmin(admin.ModelAdmin):
    list_display = ("scheme", "code", "label")
    list_filter = ("scheme",)
    search_fields = ("code",)


@admin.register(PendingEdit)
class PendingEditAdmin(admin.ModelAdmin):
    """Read-only: edits are decided on the review page, which applies and audits them."""

    list_display = ("organisation", "proposed_by", "status", "created_at", "decided_at")
    list_filter = ("status",)
    raw_id_fields = ("organisation",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

"""The nodes (profiles) this instance's Murmurations index knows.

A node is one profile URL; its id is the SHA-256 hex of that URL. The profile JSON is
kept as fetched, with the fields aggregators search on extracted into columns (and tags
and schemas into their own indexed rows, lower-cased, for exact, prefix and fuzzy search).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Node(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        VALIDATED = "validated", _("validated")
        VALIDATION_FAILED = "validation_failed", _("validation failed")
        POSTED = "posted", _("posted")
        DELETED = "deleted", _("deleted")

    node_id = models.CharField(max_length=64, unique=True)
    profile_url = models.CharField(max_length=2000)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    # protocol error objects ({status, title, detail, source?}) of the last failed fetch
    failure_reasons = models.JSONField(default=list, blank=True)
    profile = models.JSONField(null=True, blank=True)
    profile_hash = models.CharField(max_length=64, blank=True)
    # milliseconds since the epoch, as the protocol reports it; null until first posted
    last_updated = models.BigIntegerField(null=True, blank=True)
    # whether the node was ever posted (a never-posted node is removed outright on delete)
    was_posted = models.BooleanField(default=False)
    name = models.CharField(max_length=200, blank=True)
    name_key = models.CharField(max_length=200, blank=True)
    primary_url = models.CharField(max_length=2000, blank=True)
    primary_url_key = models.CharField(max_length=255, blank=True)
    country = models.CharField(max_length=2, blank=True)
    locality = models.CharField(max_length=100, blank=True)
    locality_key = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    region_key = models.CharField(max_length=100, blank=True)
    tags = models.JSONField(default=list, blank=True)
    linked_schemas = models.JSONField(default=list, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_updated", "node_id"]
        verbose_name = _("index node")
        verbose_name_plural = _("index nodes")
        indexes = [
            models.Index(fields=["status", "last_updated"], name="murm_node_status_upd"),
            models.Index(fields=["country", "status"], name="murm_node_country"),
            models.Index(fields=["locality_key"], name="murm_node_locality"),
            models.Index(fields=["region_key"], name="murm_node_region"),
            models.Index(fields=["primary_url_key"], name="murm_node_primary_url"),
            models.Index(fields=["lat", "lon"], name="murm_node_latlon"),
        ]

    def __str__(self) -> str:
        return f"{self.profile_url} ({self.status})"


class NodeTag(models.Model):
    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="tag_rows")
    tag = models.CharField(max_length=100)  # lower-cased

    class Meta:
        indexes = [models.Index(fields=["tag", "node"], name="murm_tag")]

    def __str__(self) -> str:
        return self.tag


class NodeSchema(models.Model):
    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="schema_rows")
    schema = models.CharField(max_length=100)  # lower-cased

    class Meta:
        indexes = [
            models.Index(fields=["schema", "node"], name="murm_schema"),
            # PostgreSQL: a prefix search (LIKE 'name-v2%') uses a btree only with this
            # operator class when the database's collation is not C (ignored elsewhere)
            models.Index(
                fields=["schema"], name="murm_schema_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return self.schema


class Term(models.Model):
    """The distinct lower-cased tags, localities and regions the index has seen, with their
    length: a fuzzy search compares its term with these (a few thousand) instead of
    scanning every node. Terms are only added; one no node uses any more matches nothing."""

    kind = models.CharField(max_length=10)  # tag, locality, region
    term = models.CharField(max_length=100)
    length = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "term"], name="murm_term_unique")]
        indexes = [models.Index(fields=["kind", "length"], name="murm_term_length")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.term}"

"""A deleted node posted again while the purge removes it, on PostgreSQL: the new post
wins (the node exists afterwards), whichever commits first."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from solidaria.murmurations import services
from solidaria.murmurations.models import Node

from .conftest import FakeWeb

URL = "https://coop.example.org/profiles/bakery.json"
PROFILE = {"linked_schemas": ["test_schema-v2.0.0"], "name": "Bakery co-op"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_node_posted_again_while_the_purge_removes_it_is_kept(web: FakeWeb) -> None:
    assert connection.vendor == "postgresql"
    node_id = services.node_id_for(URL)
    Node.objects.create(
        node_id=node_id, profile_url=URL, status="deleted", was_posted=True, last_updated=1
    )
    web.serve(URL, PROFILE)
    locked = threading.Event()

    def purge() -> None:  # what retention.purge_deleted does, held open for a moment
        try:
            with transaction.atomic():
                ids = list(
                    Node.objects.select_for_update()
                    .filter(status="deleted")
                    .values_list("pk", flat=True)
                )
                locked.set()
                time.sleep(0.5)  # the post below waits on the row lock meanwhile
                Node.objects.filter(pk__in=ids).delete()
        finally:
            locked.set()
            connections.close_all()

    thread = threading.Thread(target=purge)
    thread.start()
    assert locked.wait(5)
    status, body = services.post_node(URL)
    thread.join(10)

    assert (status, body) == (200, {"data": {"node_id": node_id}})
    assert Node.objects.get(node_id=node_id).status == "posted"

"""The locust users of `make load` (bench/load/__main__.py starts them).

Each user is a demo member with an API token (the runner writes them to the file named
by $LOAD_PEOPLE) and mixes what members and visitors do most: directory searches, map
clusters, organisation pages, statements, payments (each with a fresh idempotency key),
and ballots in the open participatory budget. Only the standard library and locust.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from typing import Any

from gevent.lock import Semaphore
from locust import HttpUser, between, task

PEOPLE: dict[str, Any] = json.loads(open(os.environ["LOAD_PEOPLE"]).read())  # noqa: SIM115
WORDS = ["bakery", "housing", "energy", "food", "care", "bank", "farm", "coop", "water"]
# a member's ballot secret, shared by the locust users who act as that member; their
# ballots go one at a time (two first ballots at once: the second is rightly refused, 409)
SECRETS: dict[str, str] = {}
BALLOT_LOCKS: dict[str, Semaphore] = {name: Semaphore() for name in PEOPLE["members"]}
BBOXES = ["-10,35,30,60", "-5,40,5,45", "2,41,3,42", "-180,-90,180,90", "10,45,12,47"]


class Member(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.name = random.choice(sorted(PEOPLE["members"]))
        me = PEOPLE["members"][self.name]
        self.headers = {"Authorization": f"Bearer {me['token']}"}
        self.account = me["account"]
        self.others = [n for n in PEOPLE["members"] if n != self.name]

    @task(6)
    def directory_search(self) -> None:
        word = random.choice(WORDS)
        self.client.get(f"/api/directory/organisations?q={word}", name="directory search")

    @task(4)
    def directory_page(self) -> None:
        self.client.get(f"/directory/?q={random.choice(WORDS)}", name="directory page")

    @task(5)
    def map_clusters(self) -> None:
        bbox = random.choice(BBOXES)
        zoom = random.randint(2, 12)
        self.client.get(f"/api/directory/clusters?bbox={bbox}&zoom={zoom}", name="map clusters")

    @task(5)
    def organisation_page(self) -> None:
        org = random.randint(PEOPLE["org_min"], PEOPLE["org_max"])
        with self.client.get(
            f"/directory/organisations/{org}/", name="organisation page", catch_response=True
        ) as response:
            if response.status_code == 404:  # an id gap (draft or archived): not an error
                response.success()

    @task(3)
    def statement(self) -> None:
        self.client.get(
            f"/api/ledger/accounts/{self.account}/statement",
            headers=self.headers,
            name="statement",
        )

    @task(3)
    def payment(self) -> None:
        body = {
            "payer": self.account,
            "payee_username": random.choice(self.others),
            "amount_minor": random.randint(1, 20),
            "memo": "load test",
        }
        self.client.post(
            "/api/ledger/transfers",
            json=body,
            headers={**self.headers, "Idempotency-Key": uuid.uuid4().hex},
            name="payment",
        )

    @task(1)
    def ballot(self) -> None:
        projects = random.sample(PEOPLE["projects"], 1)
        with (
            BALLOT_LOCKS[self.name],
            self.client.post(
                f"/api/budgeting/processes/{PEOPLE['process']}/ballot",
                json={"projects": projects, "secret": SECRETS.get(self.name, "")},
                headers=self.headers,
                name="ballot",
                catch_response=True,
            ) as response,
        ):
            if response.status_code == 200:
                SECRETS[self.name] = response.json().get("secret") or SECRETS.get(self.name, "")

"""Locust load for demo-api: the items CRUD routes in the mix of stack/loadgen/loadgen.py
(get 60, list 10, post 20, put 5, delete 5). Run it through run.sh, which names the profiles.

Each user reads, updates and deletes only the items it created, one request at a time, so
the mix produces no 404s: every failure Locust counts is a 5xx or a transport error. When a
user owns no item yet, it creates one instead. Requests on one item are reported under the
name /items/[id], so the CSV has one row per route.

PREFIX_stats.csv (--csv PREFIX) is rewritten when the users stop, with the final numbers, so its
"Aggregated" row is the run's exact tally.

Users think before each request, inside the task, rather than between tasks (Locust's
wait_time). At the end of a run Locust kills the users that are between tasks at once, and a
user whose wait ends just as it is killed can send a request and die before recording it: a
request the app answers and the tally misses (measured: 6 of 6913 with 100 users). A user
stopped while it thinks in a task is left to finish the task (run.sh's --stop-timeout).
"""

from __future__ import annotations

import csv
import os
import random

import gevent
from locust import HttpUser, constant, events, task
from locust.env import Environment
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV


@events.test_stop.add_listener
def write_final_stats_csv(environment: Environment, **_kwargs) -> None:
    # Locust rewrites the CSV once a second while it runs and not when the users stop, so
    # its file misses the requests of the last second. Replacing the file keeps Locust's
    # own still-open handle from overwriting this one later.
    prefix = environment.parsed_options.csv_prefix if environment.parsed_options else None
    if not prefix:
        return
    path = f"{prefix}_stats.csv"
    with open(f"{path}.final", "w", newline="") as file:
        StatsCSV(environment, PERCENTILES_TO_REPORT).requests_csv(csv.writer(file))
    os.replace(f"{path}.final", path)


def after_thinking(act):
    """The task `act`, after 0.5 to 1.5 s of thought."""

    def think_then_act(user: "ItemsUser") -> None:
        gevent.sleep(random.uniform(0.5, 1.5))
        act(user)

    return think_then_act


class ItemsUser(HttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.owned: list[int] = []

    def create(self) -> None:
        with self.client.post(
            "/items", json={"name": "locust", "price": 1.5}, catch_response=True
        ) as response:
            if response.status_code == 201:
                self.owned.append(response.json()["id"])
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}")

    def on_owned_item(self, act) -> None:
        """Runs act(item_id) on an item this user created, or creates one if it has none."""
        if self.owned:
            act(random.choice(self.owned))
        else:
            self.create()

    @task(60)
    @after_thinking
    def get_item(self) -> None:
        self.on_owned_item(lambda item_id: self.client.get(f"/items/{item_id}", name="/items/[id]"))

    @task(10)
    @after_thinking
    def list_items(self) -> None:
        self.client.get("/items?limit=20", name="/items")

    @task(20)
    @after_thinking
    def create_item(self) -> None:
        self.create()

    @task(5)
    @after_thinking
    def update_item(self) -> None:
        self.on_owned_item(
            lambda item_id: self.client.put(
                f"/items/{item_id}", json={"name": "locust", "price": 2.5}, name="/items/[id]"
            )
        )

    @task(5)
    @after_thinking
    def delete_item(self) -> None:
        def delete(item_id: int) -> None:
            if self.client.delete(f"/items/{item_id}", name="/items/[id]").status_code == 204:
                self.owned.remove(item_id)

        self.on_owned_item(delete)

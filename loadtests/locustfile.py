"""The morning rush, as the cluster sees it through nginx: residents checking in, gate staff deciding, admins reading.

Free of Lianfang's own code on purpose: it speaks only the public HTTP API, and runs in Locust's worker processes
(`make loadtest`). The region, checkpoints and accounts come from `loadtests/fixture.py prepare` (LOADTEST_FIXTURE names
its file); each worker process writes the client ids the cluster confirmed to LOADTEST_CONFIRMED_DIR, for
`loadtests/fixture.py count` to hold against the records store.

Every simulated person sends X-Forwarded-For with an address of its own: nginx trusts it from this machine (as it would
from a load balancer), so its per-address limits apply per phone, as they do in the field.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import ssl
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, events, task

from lianfang.common.beijing import BEIJING

FIXTURE: dict[str, Any] = json.loads(
    Path(os.environ.get("LOADTEST_FIXTURE", ".cluster/loadtest-fixture.json")).read_text()
)
CONFIRMED_DIR = Path(os.environ.get("LOADTEST_CONFIRMED_DIR", "bench/results/loadtest-confirmed"))
# Client ids the cluster answered 201 for, in this worker process.
CONFIRMED: set[str] = set()
# One TLS context for every simulated phone: Locust would otherwise build one per user, loading the whole CA bundle each
# time and stalling its event loop for tens of milliseconds (long enough, at a spawn rate of 30/s, to miss heartbeats).
_TLS = ssl.create_default_context()
_TLS.check_hostname = False
_TLS.verify_mode = ssl.CERT_NONE
_addresses = itertools.count(random.randrange(1 << 20))
_people = itertools.count()


def _address() -> str:
    number = next(_addresses) % (1 << 22)
    return f"10.{64 + (number >> 16)}.{(number >> 8) & 0xFF}.{number & 0xFF}"


def _answers(serial: int) -> dict[str, Any]:
    return {
        "name": random.choice("赵钱孙李周吴郑王") + random.choice(["伟", "芳", "娜", "敏", "静", "强", "磊", "洋"]),
        "phone": f"13{random.randint(0, 9)}{serial % 100_000_000:08d}",
        "address": f"{random.randint(1, 30)} 号楼 {random.randint(1, 6)} 单元",
        "is_resident": random.random() < 0.9,
    }


class _Person(FastHttpUser):
    abstract = True
    # Through nginx with its self-signed certificate; the load generator does not check it.
    insecure = True
    ssl_context_factory = staticmethod(lambda *args, **kwargs: _TLS)
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        self.forwarded = {"X-Forwarded-For": _address()}
        self.auth: dict[str, str] = {}
        self.refresh_token = ""
        self.renew_at = 0.0
        self.log_in()

    def log_in(self) -> None:
        raise NotImplementedError

    def headers(self) -> dict[str, str]:
        """As the pages do, a token about to expire is renewed first with the refresh token (a long run outlives it)."""
        if self.refresh_token and time.monotonic() >= self.renew_at:
            response = self.client.post(
                "/api/auth/refresh", json={"refresh_token": self.refresh_token}, headers=self.forwarded
            )
            if response.status_code == 200:
                self._take_token(response)
            else:
                self.log_in()
        return self.forwarded | self.auth

    def _take_token(self, response: Any) -> None:
        if response.status_code == 200:
            session = response.json()
            self.auth = {"Authorization": f"Bearer {session['access_token']}"}
            self.refresh_token = session["refresh_token"]
            self.renew_at = time.monotonic() + session["expires_in"] - 60


class Resident(_Person):
    """Scans a gate's code, opens the form, submits; about two requests in thirty seconds. One in ten loses the answer
    on a weak network and submits the same check-in again, with the same client_id."""

    wait_time = between(20, 40)

    def log_in(self) -> None:
        self.serial = next(_people)
        response = self.client.post(
            "/api/auth/dev/login", json={"openid": f"load-{uuid.uuid4().hex}"}, headers=self.forwarded
        )
        self._take_token(response)
        self.answers = _answers(self.serial)

    @task
    def check_in(self) -> None:
        code = random.choice(FIXTURE["checkpoint_codes"])
        form = self.client.get(
            f"/api/checkin/checkpoints/{code}", headers=self.headers(), name="/api/checkin/checkpoints/[code]"
        )
        if form.status_code == 401:
            self.log_in()
            return
        needs_temperature = form.status_code == 200 and form.json()["temperature"]["required"]
        body: dict[str, Any] = {"checkpoint_code": code, "client_id": str(uuid.uuid4()), "answers": self.answers}
        if needs_temperature:
            body["temperature"] = round(random.gauss(36.5, 0.25), 1)
        attempts = 2 if random.random() < 0.1 else 1
        for _ in range(attempts):
            response = self.client.post("/api/checkin/checkins", json=body, headers=self.headers())
            if response.status_code == 201:
                CONFIRMED.add(body["client_id"])


class Staff(_Person):
    """A gate keeper with the live view open: looks at the pending arrivals every few seconds and decides them."""

    fixed_count = len(FIXTURE["staff"])
    wait_time = between(3, 6)

    def log_in(self) -> None:
        self.account = random.choice(FIXTURE["staff"])
        response = self.client.post(
            "/api/auth/admin/login",
            json={"username": self.account["username"], "password": FIXTURE["password"]},
            headers=self.forwarded,
        )
        self._take_token(response)

    @task
    def decide(self) -> None:
        checkpoint = self.account["checkpoint_id"]
        pending = self.client.get(
            f"/api/checkin/staff/checkpoints/{checkpoint}/pending",
            headers=self.headers(),
            name="/api/checkin/staff/checkpoints/[id]/pending",
        )
        if pending.status_code == 401:
            self.log_in()
            return
        if pending.status_code != 200:
            return
        for item in pending.json()["items"][:5]:
            with self.client.post(
                f"/api/checkin/staff/checkins/{item['id']}/decision",
                json={"decision": "approve" if random.random() < 0.95 else "reject"},
                headers=self.headers(),
                name="/api/checkin/staff/checkins/[id]/decision",
                catch_response=True,
            ) as response:
                # Two keepers on one gate: the other one decided first, as happens at a busy gate.
                if response.status_code == 409 and response.json().get("code") == "already_decided":
                    response.success()


class Admin(_Person):
    """A region admin at a desk: pages through the records of the region, looks at the statistics and the alerts."""

    fixed_count = 5
    wait_time = between(5, 15)

    def log_in(self) -> None:
        response = self.client.post(
            "/api/auth/admin/login",
            json={"username": FIXTURE["admin"], "password": FIXTURE["password"]},
            headers=self.forwarded,
        )
        self._take_token(response)

    @task(3)
    def page_records(self) -> None:
        params = f"region_id={FIXTURE['region_id']}&limit=50"
        cursor = None
        for _ in range(random.randint(1, 3)):
            path = f"/api/trace/records?{params}" + (f"&cursor={cursor}" if cursor else "")
            page = self.client.get(path, headers=self.headers(), name="/api/trace/records")
            if page.status_code == 401:
                self.log_in()
                return
            if page.status_code != 200 or not (cursor := page.json().get("next_cursor")):
                return

    @task(1)
    def statistics(self) -> None:
        """The dashboard's view: the last seven Beijing days by day."""
        since = (datetime.now(BEIJING) - timedelta(days=7)).replace(hour=0, minute=0, second=0, microsecond=0)
        self.client.get(
            "/api/trace/stats",
            params={"region_id": FIXTURE["region_id"], "from": since.isoformat(), "granularity": "day"},
            headers=self.headers(),
            name="/api/trace/stats",
        )

    @task(1)
    def alerts(self) -> None:
        with self.client.get(
            "/api/trace/alerts", headers=self.headers(), name="/api/trace/alerts", catch_response=True
        ) as response:
            if response.status_code == 404:
                response.success()


def _write_confirmed(environment: Any, **kwargs: Any) -> None:
    if not CONFIRMED:
        return
    CONFIRMED_DIR.mkdir(parents=True, exist_ok=True)
    (CONFIRMED_DIR / f"{os.getpid()}.txt").write_text("\n".join(sorted(CONFIRMED)) + "\n")


events.quitting.add_listener(_write_confirmed)  # type: ignore[no-untyped-call]

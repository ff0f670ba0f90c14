"""Production-shape smoke driver: speaks only HTTP to a running server (gunicorn + Celery worker + beat).

Registers a tenant, creates a sandbox channel through the API, schedules a post a few seconds ahead and waits until
the worker published it. Uses only the runtime requirements (httpx), like the production image.
"""

import json
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx

BASE = sys.argv[1].rstrip("/")
TIMEOUT_SECONDS = 90
REDIRECT = "https://app.example.com/channels/done"


def fail(message: str, response: httpx.Response | None = None) -> None:
    detail = f" -> {response.status_code} {response.text[:500]}" if response is not None else ""
    sys.exit(f"prod smoke FAILED: {message}{detail}")


def main() -> None:
    client = httpx.Client(base_url=f"{BASE}/api/v1", timeout=15)
    for _ in range(30):
        try:
            if httpx.get(f"{BASE}/readyz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(1)
    else:
        fail("the web server never became ready")

    suffix = uuid.uuid4().hex[:8]
    registered = client.post(
        "/auth/register",
        json={
            "tenantName": f"Smoke {suffix}",
            "email": f"smoke-{suffix}@example.com",
            "password": "smoke-test-password-2026!",
            "firstName": "Smoke",
            "lastName": "Test",
        },
    )
    if registered.status_code != 201:
        fail("register", registered)
    client.headers["Authorization"] = f"Bearer {registered.json()['accessToken']}"

    # gunicorn de-chunks request bodies: a chunked PATCH must really apply (it used to answer 200 and change nothing).
    renamed = f"Smoke chunked {suffix}"
    body = iter([json.dumps({"name": renamed}).encode()])
    chunked = client.patch("/tenant", content=body, headers={"Content-Type": "application/json"})
    if chunked.status_code != 200 or client.get("/tenant").json()["name"] != renamed:
        fail("chunked PATCH /tenant was not applied", chunked)

    # A channel publishes only with a token: connect the sandbox network through its OAuth flow, as a user would.
    started = client.post("/channels/connect", json={"network": "sandbox", "redirectUri": REDIRECT})
    if started.status_code != 200:
        fail("start sandbox connect", started)
    grant = {"code": "smoke", "state": started.json()["state"]}
    callback = client.get("/channels/oauth/callback/sandbox", params=grant)
    location = callback.headers.get("location", "")
    query = parse_qs(urlsplit(location).query)
    if callback.status_code != 302 or query.get("status") != ["connected"]:
        fail(f"sandbox OAuth callback (location {location!r})", callback)
    channel_id = query["channelIds"][0].split(",")[0]

    publish_at = (datetime.now(UTC) + timedelta(seconds=5)).isoformat().replace("+00:00", "Z")
    post = client.post("/cp/posts", json={"channelId": channel_id, "text": f"Smoke {suffix}"})
    if post.status_code != 201:
        fail("create post", post)
    post_id = post.json()["id"]
    post = client.post(f"/cp/posts/{post_id}/schedule", json={"publishAt": publish_at})
    if post.status_code != 200 or post.json()["state"] != "scheduled":
        fail(f"post state is {post.json()['state']!r}, expected 'scheduled'", post)

    deadline = time.monotonic() + TIMEOUT_SECONDS
    state = None
    while time.monotonic() < deadline:
        current = client.get(f"/cp/posts/{post_id}")
        if current.status_code != 200:
            fail("read post", current)
        state = current.json()["state"]
        if state == "published":
            print(f"prod smoke OK: post {post_id} published by the worker")
            return
        if state in {"failed", "error"}:
            fail(f"post ended in state {state!r}", current)
        time.sleep(2)
    fail(f"post not published within {TIMEOUT_SECONDS}s (last state {state!r})")


if __name__ == "__main__":
    main()

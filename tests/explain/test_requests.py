"""What one `explain` asks (not timed: benchmarks/explain_speed.py times it): at most 15 requests for a person in
5 groups, and never a whole list of the org's or the tenant's users."""

from __future__ import annotations

import httpx

from tests.explain.conftest import World


class Recording(httpx.BaseTransport):
    """Real HTTP, with every request kept."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self._real = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._real.handle_request(request)

    def close(self) -> None:
        self._real.close()


def test_a_person_in_five_groups_takes_at_most_15_requests_and_no_full_list(world: World) -> None:
    extra = [world.sandbox.add_group(f"Corp {n}") for n in range(2)]
    ann = world.person(
        "ann@corp.example", "ann.lee@corp.example", "Talend Developers", "Talend Operators", "Talend Guests"
    )
    for group in extra:
        world.sandbox.add_member(group, ann)
    for n in range(30):  # others in the org and the tenant, who must not be read
        world.person(f"other{n}@corp.example", None, "Talend Developers")
    world.sync()
    recording = Recording()
    explained = world.explain("ann.lee@corp.example", transport=recording)  # by email: the longest path
    assert explained.explanation.verdict == "in sync"
    asked = [(r.method, r.url.path, dict(r.url.params)) for r in recording.requests]
    assert len(asked) <= 15, asked
    assert sum(explained.requests.values()) == len(asked)
    for method, path, params in asked:
        assert method == "GET", path
        if path == "/api/v1/users":
            assert "search" in params, params  # never the whole directory
        if path.endswith(f"/apps/{world.app_id}/users"):
            assert "q" in params, params  # never every assigned person
        if path.endswith("/Users"):
            assert params.get("filter", "").startswith("userName eq "), params  # never the tenant's user list
        assert "/groups/" not in path or not path.endswith("/users"), path  # never a group's members

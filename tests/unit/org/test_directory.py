"""The directory's cache of Keycloak's positions and holders (its loading replaced: pure cache logic)."""

from services.org.directory import KeycloakDirectory, Person, Snapshot


class CountingDirectory(KeycloakDirectory):
    def __init__(self, ttl_seconds: float):
        super().__init__("http://127.0.0.1:1", "zgov", "org", "secret", ttl_seconds=ttl_seconds)
        self.loads = 0

    async def _load(self) -> Snapshot:
        import time

        self.loads += 1
        return Snapshot(
            {"mayor": "市长"}, {"mayor": [Person("u-1", "mayor", "李市长")]}, {}, time.monotonic()
        )


async def test_first_read_loads_even_when_the_ttl_is_longer_than_the_machine_has_been_up():
    """A snapshot never taken used to count as taken at the monotonic clock's zero (boot): with a TTL
    longer than the uptime the directory answered from an empty snapshot ("unknown position")."""
    directory = CountingDirectory(ttl_seconds=10 * 365 * 24 * 3600)
    snapshot = await directory.snapshot()
    assert directory.loads == 1
    assert snapshot.holders_of("mayor")[0].username == "mayor"
    await directory.snapshot()
    assert directory.loads == 1, "a fresh snapshot is reused within its TTL"

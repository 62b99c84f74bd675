"""Visitor cookies, CSRF tokens, rate limits and the login's return address (pure)."""

from services.portal.auth import Sessions, pkce_pair, safe_return_path
from services.portal.security import RateLimiter, Signer, security_headers


def test_visitor_cookie_is_signed_and_csrf_token_bound_to_the_visitor():
    signer = Signer(b"k" * 32)
    sid, cookie = signer.new_visitor()
    assert signer.visitor_of(cookie) == sid
    assert signer.visitor_of(cookie[:-1] + ("A" if cookie[-1] != "A" else "B")) is None
    assert signer.visitor_of(f"{sid}.x") is None and signer.visitor_of("garbage") is None
    other, _ = signer.new_visitor()
    assert signer.csrf_ok(sid, signer.csrf_token(sid))
    assert not signer.csrf_ok(sid, signer.csrf_token(other))
    assert not signer.csrf_ok(sid, None) and not signer.csrf_ok(None, signer.csrf_token(sid))
    assert Signer(b"x" * 32).visitor_of(cookie) is None  # another key


class Clock:
    now = 0.0

    def __call__(self):
        return self.now


def test_token_bucket_allows_a_burst_then_refills_per_address_and_kind():
    clock = Clock()
    limiter = RateLimiter(burst=2, per_minute=6, clock=clock)
    assert [limiter.allow("1.2.3.4", "petition") for _ in range(3)] == [True, True, False]
    assert limiter.allow("1.2.3.5", "petition") and limiter.allow("1.2.3.4", "follow")
    clock.now = 10.0  # 6 a minute: one token back after 10 s
    assert limiter.allow("1.2.3.4", "petition") and not limiter.allow("1.2.3.4", "petition")
    assert limiter.retry_after() == 10


def test_rate_limiter_memory_is_bounded():
    clock = Clock()
    limiter = RateLimiter(burst=1, per_minute=60, clock=clock, max_keys=10)
    for i in range(100):
        limiter.allow(f"10.0.0.{i}", "petition")
    assert len(limiter._buckets) <= 10


def test_login_returns_only_to_a_path_of_this_site():
    assert safe_return_path("/petitions/mine") == "/petitions/mine"
    for bad in ("//evil.example/x", "https://evil.example", "/\\evil.example", "", None, "petitions"):
        assert safe_return_path(bad) == "/"


def test_pkce_challenge_is_the_s256_of_the_verifier():
    import base64
    import hashlib

    verifier, challenge = pkce_pair()
    assert 43 <= len(verifier) <= 128
    assert (
        challenge
        == base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def test_idle_sessions_end(monkeypatch):
    from services.portal import auth

    clock = Clock()
    monkeypatch.setattr(auth.time, "time", clock)
    sessions = Sessions(idle_seconds=60)
    sessions.keep("s1", auth.CitizenSession("u", "林市民", "a", 100.0, "r", "i"))
    clock.now = 59
    assert sessions.citizen("s1") is not None
    clock.now = 59 + 61
    assert sessions.citizen("s1") is None


def test_csp_allows_no_script_and_no_framing():
    csp = security_headers("http://kc")["Content-Security-Policy"]
    assert (
        "script-src 'none'" in csp
        and "frame-ancestors 'none'" in csp
        and "form-action 'self' http://kc" in csp
    )

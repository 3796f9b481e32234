"""HTTP hygiene of `policy-assistant serve`: where it listens, who may call it, how much, from which page
and under which Host name — one test per point, each against a real server with the settings it is about.

Three servers share one index (built by the first): `plain` has the defaults (and no --host), `locked`
an API key, a CORS origin, a UI login and an extra Host name, `limited` a rate limit of 5 a minute.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .helpers import Server
from .test_api import CHAIN

pytestmark = pytest.mark.slow

KEY = "test-key-8f1c"
PORTAL = "http://portal.example"
OTHER = "http://other.example"
EXTRA_HOST = "policy.example.org"
UI_USER, UI_PASSWORD = "reader", "pw-41x"
QUESTION = {"question": CHAIN}


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hygiene-index")


@pytest.fixture(scope="module")
def plain(tmp_path_factory, index_dir) -> Iterator[Server]:
    s = Server(tmp_path_factory.mktemp("plain"), index_dir, host=None)  # no --host: the default bind
    yield s
    s.stop()


@pytest.fixture(scope="module")
def locked(tmp_path_factory, index_dir, plain) -> Iterator[Server]:
    # after `plain`, which builds the index this one opens
    s = Server(
        tmp_path_factory.mktemp("locked"),
        index_dir,
        server_api_key=KEY,
        server_cors_origins=PORTAL,
        server_ui_auth=f"{UI_USER}:{UI_PASSWORD}",
        server_allowed_hosts=EXTRA_HOST,
    )
    yield s
    s.stop()


@pytest.fixture(scope="module")
def limited(tmp_path_factory, index_dir, plain) -> Iterator[Server]:
    s = Server(tmp_path_factory.mktemp("limited"), index_dir, "--no-ui", server_rate_limit="5")
    yield s
    s.stop()


def bearer(key: str = KEY) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a listening TCP socket on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            addr, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port and len(addr) == width:
                if width == 8:
                    found.add(".".join(str(b) for b in reversed(bytes.fromhex(addr))))
                else:
                    found.add("::1" if addr == "0" * 24 + "01000000" else addr)
    return found


def page_config(html: str) -> dict:
    m = re.search(r"window\.gradio_config\s*=\s*(\{.*?\});\s*</script>", html, re.S)
    assert m, "the page carries no gradio config"
    return json.loads(m.group(1))


# --- where it listens ---------------------------------------------------------------------------------
def test_binds_to_loopback_by_default(plain):
    from assistant.settings import Settings

    assert Settings().host == "127.0.0.1"
    assert listening_addresses(plain.port) == {"127.0.0.1"}
    assert f"running on http://127.0.0.1:{plain.port}" in plain.output()


# --- who may call it ----------------------------------------------------------------------------------
def test_api_key_is_required_on_v1_only(locked):
    with locked.http() as http:
        missing = http.post("/v1/ask", json=QUESTION)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        assert missing.json()["code"] == "unauthorized"
        assert http.post("/v1/ask", json=QUESTION, headers=bearer("wrong-key")).status_code == 401
        assert http.get("/v1/models").status_code == 401
        ok = http.post("/v1/ask", json=QUESTION, headers=bearer())
        assert ok.status_code == 200
        assert ok.json()["citations"][0]["clause"] == 10
        assert http.get("/healthz").status_code == 200  # probes need no key
        assert http.get("/readyz").status_code == 200


def test_openai_client_with_the_right_key_works(locked):
    openai = pytest.importorskip("openai")
    good = openai.OpenAI(base_url=f"{locked.url}/v1", api_key=KEY, max_retries=0, timeout=60)
    reply = good.chat.completions.create(model="x", messages=[{"role": "user", "content": CHAIN}])
    assert reply.model_extra["policy"]["citations"][0]["clause"] == 10
    bad = openai.OpenAI(base_url=f"{locked.url}/v1", api_key="wrong-key", max_retries=0, timeout=60)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="x", messages=[{"role": "user", "content": CHAIN}])


# --- how much -----------------------------------------------------------------------------------------
def test_a_body_over_the_limit_is_413_too_large(plain):
    big = json.dumps({"question": "链" * 10, "padding": "x" * 100_000}).encode()  # ~100 KB, limit 64 KB
    with plain.http() as http:
        for path in ("/v1/ask", "/v1/chat/completions"):
            r = http.post(path, content=big, headers={"content-type": "application/json"})
            assert r.status_code == 413, path
            assert r.json()["code"] == "too_large"
        assert http.post("/v1/ask", json=QUESTION).status_code == 200  # the server goes on answering


def test_a_chunked_body_over_the_limit_is_413_too_large(plain):
    """Without Content-Length the limit is enforced while the body is read."""

    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(100):
            yield b"x" * 1000
        yield b'"}'

    with plain.http() as http:
        r = http.post("/v1/ask", content=chunks(), headers={"content-type": "application/json"})
        assert r.request.headers.get("transfer-encoding") == "chunked"
        assert r.status_code == 413
        assert r.json()["code"] == "too_large"


def test_rate_limit_answers_429_with_retry_after(limited):
    with limited.http() as http:
        statuses = []
        for _ in range(8):
            r = http.post("/v1/ask", json=QUESTION)
            statuses.append(r.status_code)
        assert statuses[:5] == [200] * 5
        assert statuses[5:] == [429] * 3
        assert int(r.headers["retry-after"]) >= 1
        assert r.json()["code"] == "rate_limited"
        assert http.get("/healthz").status_code == 200  # only /v1/* is limited


# --- what every response carries ----------------------------------------------------------------------
def test_security_headers_on_the_page_the_api_and_the_docs(plain):
    with plain.http() as http:
        responses = {"/": http.get("/"), "/v1/ask": http.post("/v1/ask", json=QUESTION), "/docs": http.get("/docs")}
    for path, r in responses.items():
        assert r.status_code == 200, path
        csp = r.headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in csp, path
        assert r.headers.get("x-frame-options") == "DENY", path
        assert r.headers.get("x-content-type-options") == "nosniff", path
        assert r.headers.get("referrer-policy"), path
    assert "default-src 'self'" in responses["/"].headers["content-security-policy"]  # nothing from elsewhere
    assert "default-src 'none'" in responses["/v1/ask"].headers["content-security-policy"]


# --- under which Host name ----------------------------------------------------------------------------
def test_host_allow_list(plain, locked):
    with plain.http() as http:
        for path in ("/", "/healthz", "/v1/models"):
            refused = http.get(path, headers={"host": "evil.example"})
            assert refused.status_code == 400, path
            assert refused.json()["code"] == "bad_host"
            assert "evil.example" not in refused.text
        for host in (f"127.0.0.1:{plain.port}", f"localhost:{plain.port}"):
            assert http.get("/", headers={"host": host}).status_code == 200, host
            assert http.get("/healthz", headers={"host": host}).status_code == 200, host
        assert http.get("/healthz", headers={"host": EXTRA_HOST}).status_code == 400  # not configured here
    with locked.http() as http:
        served = {"host": EXTRA_HOST}
        assert http.get("/healthz", headers=served).status_code == 200
        assert http.get("/", headers=served).status_code == 200
        assert http.post("/v1/ask", json=QUESTION, headers={**served, **bearer()}).status_code == 200
        assert http.get("/healthz", headers={"host": "evil.example"}).status_code == 400


# --- what it takes ------------------------------------------------------------------------------------
def test_the_upload_route_is_closed(plain):
    marker = b"upload-marker-5b2e0c"
    with plain.http() as http:
        for path in ("/gradio_api/upload", "/gradio_api/upload?upload_id=abc", "/upload"):
            r = http.post(path, files={"files": ("notes.txt", marker + b"\n", "text/plain")})
            assert r.status_code == 404, path
            assert r.json()["code"] == "not_found"
    temp = plain.tmp / "gradio-tmp"  # GRADIO_TEMP_DIR of this server
    written = [p for p in temp.rglob("*") if p.is_file() and marker in p.read_bytes()] if temp.exists() else []
    assert written == []


# --- from which page (CORS) ---------------------------------------------------------------------------
def preflight(http: httpx.Client, origin: str) -> httpx.Response:
    return http.options(
        "/v1/ask",
        headers={
            "origin": origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type",
        },
    )


def test_cors_is_off_by_default(plain):
    with plain.http() as http:
        assert "access-control-allow-origin" not in preflight(http, OTHER).headers
        r = http.post("/v1/ask", json=QUESTION, headers={"origin": OTHER})
        assert r.status_code == 200
        assert "access-control-allow-origin" not in r.headers


def test_cors_allows_the_configured_origin_only(locked):
    with locked.http() as http:
        allowed = http.post("/v1/ask", json=QUESTION, headers={"origin": PORTAL, **bearer()})
        assert allowed.status_code == 200
        assert allowed.headers.get("access-control-allow-origin") == PORTAL
        other = http.post("/v1/ask", json=QUESTION, headers={"origin": OTHER, **bearer()})
        assert "access-control-allow-origin" not in other.headers


def test_cors_preflight_is_answered_without_the_api_key(locked):
    """A browser sends the preflight (OPTIONS) without Authorization: it must get the CORS answer, or the
    configured portal can never send its keyed request."""
    with locked.http() as http:
        allowed = preflight(http, PORTAL)
        assert allowed.status_code == 200
        assert allowed.headers.get("access-control-allow-origin") == PORTAL
        assert "authorization" in allowed.headers.get("access-control-allow-headers", "").lower()
        assert "access-control-allow-origin" not in preflight(http, OTHER).headers


# --- the optional UI login ----------------------------------------------------------------------------
def test_ui_login_guards_the_page_but_not_the_api(locked):
    gradio_client = pytest.importorskip("gradio_client")
    with locked.http() as http:
        page = http.get("/")
        assert page.status_code == 200
        config = page_config(page.text)
        assert config["auth_required"] is True
        assert config["components"] == [] and config["dependencies"] == []  # the app itself is not sent
        assert http.get("/config").status_code == 401
        assert http.post("/login", data={"username": UI_USER, "password": "wrong"}).status_code >= 400
        answer = http.post("/v1/ask", json=QUESTION, headers=bearer())
        assert answer.status_code == 200 and answer.json()["citations"][0]["clause"] == 10
    with pytest.raises(ValueError):  # gradio_client.exceptions.AuthenticationError
        gradio_client.Client(f"{locked.url}/", verbose=False, analytics_enabled=False, download_files=False)
    client = gradio_client.Client(
        f"{locked.url}/", auth=(UI_USER, UI_PASSWORD), verbose=False, analytics_enabled=False, download_files=False
    )
    try:
        assert "政策助手" in client.config["title"]
    finally:
        client.close()

"""Keel behind Debian's nginx with a login (deploy/nginx/keel-basic-auth.conf, the file the README points a team
to), in front of a real Streamlit server, driven by headless Chromium: nginx names the person, Keel trusts
that only from nginx's address, and a header the browser forges is replaced, never believed."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser, expect

from core import store
from tests.e2e.conftest import ROOT, Server, shot, wait_idle

pytestmark = pytest.mark.browser
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def keel_behind_nginx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    if not Path(NGINX).exists():
        pytest.fail(f"no nginx at {NGINX}: install Debian's nginx-light (.ci/run does)")
    home = tmp_path / "keel_home"
    store.set_role("ana", "admin", home=home)
    store.set_role("bo", "viewer", home=home)
    monkeypatch.setenv("KEEL_TRUSTED_PROXY", "127.0.0.1")
    keel = Server(home, tmp_path / "streamlit.log")
    (tmp_path / "htpasswd").write_text("ana:{PLAIN}ana-pass\nbo:{PLAIN}bo-pass\n")
    port = _free_port()
    site = (ROOT / "deploy" / "nginx" / "keel-basic-auth.conf").read_text()
    site = site.replace("@LISTEN_PORT@", str(port)).replace("@KEEL_PORT@", str(keel.port))
    site = site.replace("@HTPASSWD@", str(tmp_path / "htpasswd"))
    for folder in ("logs", "temp"):
        (tmp_path / folder).mkdir()
    (tmp_path / "nginx.conf").write_text(
        f"""user root;
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/logs/error.log;
events {{ worker_connections 64; }}
http {{
    access_log {tmp_path}/logs/access.log;
    client_body_temp_path {tmp_path}/temp/body;
    proxy_temp_path {tmp_path}/temp/proxy;
    fastcgi_temp_path {tmp_path}/temp/fastcgi;
    uwsgi_temp_path {tmp_path}/temp/uwsgi;
    scgi_temp_path {tmp_path}/temp/scgi;
{site}
}}
"""
    )
    nginx = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url, timeout=1)
            except urllib.error.HTTPError:
                break  # 401: nginx is up and asks for a login
            except OSError:
                if nginx.poll() is not None:
                    raise RuntimeError(f"nginx exited: {nginx.stderr.read().decode() if nginx.stderr else ''}") from None
                time.sleep(0.1)
        yield url, home
    finally:
        nginx.terminate()
        nginx.wait(10)
        keel.stop()


def test_without_a_login_nginx_lets_nothing_through(keel_behind_nginx: tuple[str, Path]) -> None:
    url, _ = keel_behind_nginx
    forged = urllib.request.Request(url, headers={"X-Forwarded-User": "ana"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged, timeout=5)
    assert refused.value.code == 401
    login = b64encode(b"bo:bo-pass").decode()
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": f"Basic {login}"})) as ok:
        assert ok.status == 200


def test_the_person_nginx_names_is_who_keel_sees_even_when_the_browser_forges_another(
    keel_behind_nginx: tuple[str, Path], browser: Browser
) -> None:
    url, home = keel_behind_nginx
    context = browser.new_context(
        http_credentials={"username": "bo", "password": "bo-pass"},
        extra_http_headers={"X-Forwarded-User": "ana"},  # forged: nginx replaces it with the login
        viewport={"width": 1366, "height": 1400},
    )
    page = context.new_page()
    try:
        page.goto(f"{url}/People")
        wait_idle(page)
        expect(page.get_by_text("Signed in as bo · viewer")).to_be_visible()
        expect(page.get_by_text("bo is a viewer: viewers cannot change who has which role.")).to_be_visible()
        shot(page, "behind_nginx_viewer")
    finally:
        context.close()
    assert store.list_people(home=home)[0].name == "ana"


def test_the_compose_file_wires_the_pieces_as_the_readme_says() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "keel", "scheduler", "login"}
    assert services["db"]["image"].startswith("postgres:")
    assert services["login"]["image"].startswith("quay.io/oauth2-proxy/oauth2-proxy:")
    proxy_ip = services["login"]["networks"]["keel"]["ipv4_address"]
    keel_env = services["keel"]["environment"]
    assert keel_env["KEEL_TRUSTED_PROXY"] == proxy_ip  # only the login proxy may name the person
    assert keel_env["KEEL_DATABASE_URL"].startswith("postgresql://") and "ports" not in services["keel"]
    assert "--pass-user-headers=true" in services["login"]["command"]
    assert services["scheduler"]["environment"]["KEEL_DATABASE_URL"] == keel_env["KEEL_DATABASE_URL"]

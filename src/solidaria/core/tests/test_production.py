"""SOLIDARIA_ENV=production: what it refuses to start without, and what it turns on.

Settings are read once per process, so each case runs Python in a subprocess with its
own environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from solidaria.settings import cache_settings_from_url, email_settings_from_url

SRC = Path(__file__).resolve().parents[3]
KEY = "k3Yq9-vX2pL7wR4tZ8mN1bC6dF0hJ5sG-aE3uI9oP2yT7rW4qQ"  # 50 characters, test only
SMTP = "smtp://mailer:s%40cret@mail.example.org:587?tls=1"


def run(tmp_path: Path, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SOLIDARIA_", "DATABASE_"))
    }
    base.update(
        {
            "PYTHONPATH": str(SRC),
            "DJANGO_SETTINGS_MODULE": "solidaria.settings",
            "SOLIDARIA_VAR_DIR": str(tmp_path / "var"),
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env=base,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


SETUP = "import django; django.setup()"
PRODUCTION = {
    "SOLIDARIA_ENV": "production",
    "DJANGO_SECRET_KEY": KEY,
    "DJANGO_ALLOWED_HOSTS": "example.org",
    "SOLIDARIA_EMAIL_URL": SMTP,
}
CHECK_DEPLOY = (
    "from solidaria.cli import main; main(['check', '--deploy', '--fail-level', 'WARNING'])"
)


def test_production_starts_with_everything_set(tmp_path: Path) -> None:
    result = run(tmp_path, SETUP, **PRODUCTION)
    assert result.returncode == 0, result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = run(tmp_path, SETUP, **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "set DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_the_development_key(tmp_path: Path) -> None:
    env = {**PRODUCTION, "DJANGO_SECRET_KEY": "insecure-local-development-key-change-me"}
    result = run(tmp_path, SETUP, **env)
    assert result.returncode != 0
    assert "set DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_an_smtp_url(tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "SOLIDARIA_EMAIL_URL"}
    for extra in ({}, {"SOLIDARIA_EMAIL_URL": "console://"}):
        result = run(tmp_path, SETUP, **env, **extra)
        assert result.returncode != 0
        assert "set SOLIDARIA_EMAIL_URL" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_ALLOWED_HOSTS"}
    result = run(tmp_path, SETUP, **env)
    assert result.returncode != 0
    assert "set DJANGO_ALLOWED_HOSTS" in result.stderr


def test_an_unknown_environment_is_refused(tmp_path: Path) -> None:
    result = run(tmp_path, SETUP, SOLIDARIA_ENV="prod")
    assert result.returncode != 0
    assert "SOLIDARIA_ENV must be 'development' or 'production'" in result.stderr


def test_check_deploy_passes_in_production(tmp_path: Path) -> None:
    result = run(tmp_path, CHECK_DEPLOY, **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_without_the_key_and_says_why(tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = run(tmp_path, CHECK_DEPLOY, **env)
    assert result.returncode != 0
    assert "set DJANGO_SECRET_KEY" in result.stderr


def test_check_deploy_warns_in_development(tmp_path: Path) -> None:
    result = run(tmp_path, CHECK_DEPLOY)
    assert result.returncode != 0
    assert "security.W012" in result.stderr  # the session cookie is not Secure


SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name, None) for name in [
    "DEBUG", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "EMAIL_BACKEND",
    "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS",
]} | {"CACHE": s.CACHES["default"]["BACKEND"]}))
"""


def test_production_settings_turn_on_https_protections(tmp_path: Path) -> None:
    # given production with DJANGO_DEBUG=1 and a proxy header
    env = {
        **PRODUCTION,
        "DJANGO_DEBUG": "1",
        "DJANGO_HSTS_SECONDS": "600",
        "DJANGO_SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
        "SOLIDARIA_CACHE_URL": "redis://cache.internal:6379/1",
    }
    result = run(tmp_path, SHOW_SETTINGS, **env)
    assert result.returncode == 0, result.stderr
    # then debug is off and everything HTTPS is on
    assert json.loads(result.stdout) == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SECURE_HSTS_SECONDS": 600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.org",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "mailer",
        "EMAIL_HOST_PASSWORD": "s@cret",
        "EMAIL_USE_TLS": True,
        "CACHE": "django.core.cache.backends.redis.RedisCache",
    }


def test_development_settings_keep_plain_http(tmp_path: Path) -> None:
    result = run(tmp_path, SHOW_SETTINGS, DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["DEBUG"] is True
    assert shown["SESSION_COOKIE_SECURE"] is False
    assert shown["SECURE_SSL_REDIRECT"] is False
    assert shown["SECURE_HSTS_SECONDS"] == 0
    assert shown["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert shown["CACHE"] == "django.core.cache.backends.locmem.LocMemCache"


RESPONSE_HEADERS = """
import json, django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="example.org")
page = client.get("/accounts/login/", secure=True)
plain = client.get("/accounts/login/")
cookie = page.cookies["csrftoken"]
print(json.dumps({
    "status": page.status_code,
    "hsts": page.get("Strict-Transport-Security"),
    "csp": page.get("Content-Security-Policy"),
    "csrf_cookie_secure": cookie["secure"],
    "csrf_cookie_httponly": cookie["httponly"],
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location"),
}))
"""


def test_production_responses_carry_hsts_csp_and_secure_cookies(tmp_path: Path) -> None:
    result = run(tmp_path, RESPONSE_HEADERS, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["status"] == 200
    assert shown["hsts"] == "max-age=31536000; includeSubDomains; preload"
    parts = [part.strip() for part in shown["csp"].split(";")]
    directives = dict(part.split(" ", 1) for part in parts if " " in part)
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["img-src"] == "'self' data: https://tile.openstreetmap.org"
    assert directives["frame-ancestors"] == "'none'"
    assert "upgrade-insecure-requests" in parts
    assert shown["csrf_cookie_secure"] is True
    assert shown["csrf_cookie_httponly"] is True
    # and plain http is sent to https
    assert shown["plain_status"] == 301
    assert shown["plain_location"] == "https://example.org/accounts/login/"


def test_development_pages_carry_the_same_csp(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    # django-csp joins the directives in set order: split them rather than match a ";"
    directives = [d.strip() for d in response["Content-Security-Policy"].split(";")]
    assert "script-src 'self'" in directives
    assert "upgrade-insecure-requests" not in response["Content-Security-Policy"]


# --- the URL parsers --------------------------------------------------------------------


def test_email_url_forms() -> None:
    assert email_settings_from_url("smtps://u:p@mx.example.org") == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mx.example.org",
        "EMAIL_PORT": 465,
        "EMAIL_HOST_USER": "u",
        "EMAIL_HOST_PASSWORD": "p",
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": True,
    }
    plain = email_settings_from_url("smtp://localhost?timeout=5")
    assert (plain["EMAIL_PORT"], plain["EMAIL_HOST_USER"], plain["EMAIL_TIMEOUT"]) == (25, "", 5)
    assert email_settings_from_url("console://") == {
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"
    }
    with pytest.raises(ImproperlyConfigured, match="SOLIDARIA_EMAIL_URL must look like"):
        email_settings_from_url("mail.example.org:587")


def test_cache_url_forms() -> None:
    assert cache_settings_from_url("rediss://h:6380/0")["LOCATION"] == "rediss://h:6380/0"
    assert cache_settings_from_url("file:///tmp/c") == {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": "/tmp/c",
    }
    with pytest.raises(ImproperlyConfigured, match="SOLIDARIA_CACHE_URL must start with"):
        cache_settings_from_url("memcached://h")

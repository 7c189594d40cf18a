"""Settings come from environment variables; defaults give a working local instance.

DATABASE_URL selects the database (PostgreSQL in production); without it we use an
embedded SQLite file in ./var with WAL journalling.

SOLIDARIA_ENV=production is the one switch for a public instance: it refuses to start
without a real DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and SOLIDARIA_EMAIL_URL, turns DEBUG
off and turns on HTTPS-only cookies, HSTS and the redirect to HTTPS. README.md lists every
variable.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import logging
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from solidaria.core.paths import shared_data_dir

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("SOLIDARIA_VAR_DIR", Path.cwd() / "var"))
# The optional full data sets (None without them); the bundled data/ is always there.
SHARED_DATA_DIR = shared_data_dir()


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def email_settings_from_url(url: str) -> dict[str, object]:
    """EMAIL_* settings from `smtp://user:pass@host:587?tls=1` (smtps:// or ?ssl=1 for
    implicit TLS, ?timeout=SECONDS), or `console://`, `locmem://`, `file:///dir`, `dummy://`."""
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
        "file": "django.core.mail.backends.filebased.EmailBackend",
    }
    if parts.scheme in backends:
        found: dict[str, object] = {"EMAIL_BACKEND": backends[parts.scheme]}
        if parts.scheme == "file":
            found["EMAIL_FILE_PATH"] = unquote(parts.path)
        return found
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ImproperlyConfigured(
            f"SOLIDARIA_EMAIL_URL must look like smtp://user:password@host:587?tls=1; "
            f"the scheme {parts.scheme!r} or the host is not understood."
        )
    use_ssl = parts.scheme == "smtps" or query.get("ssl", "") in {"1", "true", "yes", "on"}
    use_tls = not use_ssl and query.get("tls", "") in {"1", "true", "yes", "on"}
    found = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": parts.port or (465 if use_ssl else 587 if use_tls else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
    }
    if query.get("timeout"):
        found["EMAIL_TIMEOUT"] = int(query["timeout"])
    return found


def cache_settings_from_url(url: str) -> dict[str, object]:
    """A CACHES["default"] from `redis://host:6379/0` (or rediss://), `locmem://`,
    `file:///dir` or `dummy://`."""
    scheme = urlsplit(url).scheme
    if scheme in {"redis", "rediss"}:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if scheme == "file":
        return {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": unquote(urlsplit(url).path),
        }
    if scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    raise ImproperlyConfigured(
        f"SOLIDARIA_CACHE_URL must start with redis://, rediss://, locmem://, file:// or "
        f"dummy://; {scheme!r} is not understood."
    )


# One switch: "development" (the default) or "production".
SOLIDARIA_ENV = os.environ.get("SOLIDARIA_ENV", "development").strip().lower()
if SOLIDARIA_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"SOLIDARIA_ENV must be 'development' or 'production', not {SOLIDARIA_ENV!r}."
    )
PRODUCTION = SOLIDARIA_ENV == "production"

DEVELOPMENT_SECRET_KEY = "insecure-local-development-key-change-me"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "") or DEVELOPMENT_SECRET_KEY
DEBUG = env_bool("DJANGO_DEBUG", False) and not PRODUCTION
ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver"
)
if PRODUCTION:
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY:
        raise ImproperlyConfigured(
            "SOLIDARIA_ENV=production needs a secret key of its own: set DJANGO_SECRET_KEY "
            "to a long random value (50 characters or more), not the development key."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "SOLIDARIA_ENV=production needs the host names it serves: set "
            "DJANGO_ALLOWED_HOSTS, for example DJANGO_ALLOWED_HOSTS=example.org."
        )
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "axes",
    "solidaria.core",
    "solidaria.accounts",
    "solidaria.directory",
    "solidaria.ledger",
    "solidaria.clearing",
    "solidaria.budgeting",
    "solidaria.governance",
    "solidaria.indicators",
    "solidaria.federation",
    "solidaria.murmurations",
    "solidaria.creditcommons",
    "solidaria.notifications",
    "solidaria.discussion",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "solidaria.core.middleware.DomainRefusalMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: turns a login refused by django-axes into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "solidaria.urls"
WSGI_APPLICATION = "solidaria.wsgi.application"
ASGI_APPLICATION = "solidaria.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "solidaria.core.context.site",
                "solidaria.notifications.context.unread",
            ],
        },
    },
]

_sqlite_path = VAR_DIR / "solidaria.sqlite3"
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{_sqlite_path}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
    )
else:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Prepared statements: the ledger's payment call uses one (ledger/fastpay.py).
        # "off" behind a pooler that cannot keep them (PgBouncer before 1.21 in
        # transaction mode); Django's own cursors never prepare either way.
        _prepared = os.environ.get("DB_PREPARED_STATEMENTS", "on").strip().lower()
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
            None if _prepared in ("off", "0", "no", "false") else 5
        )
    if os.environ.get("DATABASE_TEST_NAME"):
        DATABASES["default"]["TEST"] = {"NAME": os.environ["DATABASE_TEST_NAME"]}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish")), ("bn", _("Bengali"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("SOLIDARIA_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Leaflet's JS/CSS come from the django-leaflet wheel; we use only its static files
# (its admin widgets need GDAL, which a laptop rarely has).
STATICFILES_DIRS = [Path(importlib.util.find_spec("leaflet").origin).parent / "static"]  # type: ignore[arg-type,union-attr]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = VAR_DIR / "media"

# Mail: an SMTP URL. Development prints mail on the console unless told otherwise
# (DJANGO_EMAIL_BACKEND is still read there); production refuses to start without SMTP.
_email_url = os.environ.get("SOLIDARIA_EMAIL_URL", "")
if PRODUCTION and not _email_url.startswith(("smtp://", "smtps://")):
    raise ImproperlyConfigured(
        "SOLIDARIA_ENV=production sends mail through SMTP: set SOLIDARIA_EMAIL_URL, for "
        "example SOLIDARIA_EMAIL_URL=smtp://user:password@mail.example.org:587?tls=1."
    )
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
if _email_url:
    globals().update(email_settings_from_url(_email_url))
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "solidaria@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Cache: throttling counts failures here, so with more than one server process in
# production it must be shared (redis://...).
CACHES = {
    "default": {
        **cache_settings_from_url(os.environ.get("SOLIDARIA_CACHE_URL", "locmem://")),
        "KEY_PREFIX": "solidaria",
    }
}

# HTTPS. In production: secure cookies, HSTS and the redirect to https; behind a proxy that
# ends TLS, DJANGO_SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https says how it tells.
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000")) if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
SECURE_SSL_REDIRECT = PRODUCTION and env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
_proxy_header = env_list("DJANGO_SECURE_PROXY_SSL_HEADER")
if _proxy_header:
    if len(_proxy_header) != 2:
        raise ImproperlyConfigured(
            "DJANGO_SECURE_PROXY_SSL_HEADER takes a header and a value, for example "
            "HTTP_X_FORWARDED_PROTO,https."
        )
    SECURE_PROXY_SSL_HEADER = (_proxy_header[0], _proxy_header[1])
# How many reverse proxies append to X-Forwarded-For before us: throttling by address
# reads the client's address from there (core/throttle.py:client_address).
SOLIDARIA_TRUSTED_PROXIES = int(os.environ.get("SOLIDARIA_TRUSTED_PROXIES", "0"))
# A deliberate "no" to preload or to the redirect (a proxy already redirects) is not a
# deployment warning.
SILENCED_SYSTEM_CHECKS = [
    *(["security.W021"] if not SECURE_HSTS_PRELOAD else []),
    *(["security.W008"] if PRODUCTION and not SECURE_SSL_REDIRECT else []),
]

# Base-map tiles: an XYZ URL template ({z}/{x}/{y}, optionally {s} for subdomains and {r}
# for "@2x" on high-density screens), e.g. a self-hosted tile server's.
SOLIDARIA_MAP_TILE_URL = os.environ.get(
    "SOLIDARIA_MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
)
SOLIDARIA_MAP_TILE_ATTRIBUTION = os.environ.get(
    "SOLIDARIA_MAP_TILE_ATTRIBUTION",
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)


def tile_origins(url: str) -> list[str]:
    """The origin a tile URL template loads from, for the CSP's img-src: `{s}.` subdomains
    become `*.`; a URL on this site (`/tiles/{z}/{x}/{y}.png`) needs none."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return []
    return [f"{parts.scheme}://{parts.netloc.replace('{s}.', '*.')}"]


# Content-Security-Policy (django-csp), enforced in development too so that the browser
# tests meet it: scripts only from our static files, no inline scripts; inline style
# attributes are allowed (templates size a chart or a map with them); map tiles come from
# SOLIDARIA_MAP_TILE_ORIGINS, by default the origin of SOLIDARIA_MAP_TILE_URL.
# SOLIDARIA_CSP_REPORT_ONLY=1 only reports violations.
SOLIDARIA_MAP_TILE_ORIGINS = env_list("SOLIDARIA_MAP_TILE_ORIGINS") or tile_origins(
    SOLIDARIA_MAP_TILE_URL
)
_csp = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", *SOLIDARIA_MAP_TILE_ORIGINS],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        **({"upgrade-insecure-requests": True} if PRODUCTION else {}),
    }
}
if env_bool("SOLIDARIA_CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _csp
else:
    CONTENT_SECURITY_POLICY = _csp

# Failed attempts (core/throttle.py): (limit, window seconds[, lockout seconds]) per scope;
# the lockout defaults to the window and is never under a minute.
SOLIDARIA_THROTTLES = {
    "login": (10, 900),
    "api_token": (10, 900),
    "voting_code": (10, 900),
    "signup": (5, 3600),
    # posting comments and messages: every post counts (discussion/services.py)
    "discussion_post": (10, 60, 300),
    # POST /index/v2/nodes-sync (murmurations/views.py): every call counts, per address
    "murmurations_sync": (30, 60),
}
# Seconds after posting during which a comment's author may still edit it.
SOLIDARIA_DISCUSSION_EDIT_WINDOW = int(os.environ.get("SOLIDARIA_DISCUSSION_EDIT_WINDOW", "900"))
# Log-in throttling is django-axes with the "login" limits: by user name or by address.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = SOLIDARIA_THROTTLES["login"][0]
AXES_COOLOFF_TIME = dt.timedelta(seconds=max(SOLIDARIA_THROTTLES["login"][-1], 60))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "solidaria.core.throttle.client_address"
AXES_LOCKOUT_CALLABLE = "solidaria.core.throttle.login_lockout_response"
AXES_COOLOFF_MESSAGE = _("Too many failed log-in attempts. Please try again later.")
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "SOLIDARIA_TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"
        )
    }
}

SOLIDARIA = {
    "NETWORK_NAME": os.environ.get("SOLIDARIA_NETWORK_NAME", "Solidaria demo network"),
    "ESSGLOBAL_BASE_URI": os.environ.get(
        "SOLIDARIA_ESSGLOBAL_BASE_URI", "https://w3id.solidarityeconomy.coop/essglobal/V2a/"
    ),
    "PUBLIC_URL": os.environ.get("SOLIDARIA_PUBLIC_URL", "http://127.0.0.1:8000"),
    # When a proposed clearing run is applied: "no_objection" (no member it touches
    # objects by the deadline) or "all_accept" (every member it touches accepts).
    "CLEARING_ACCEPTANCE": os.environ.get("SOLIDARIA_CLEARING_ACCEPTANCE", "no_objection"),
    # The Murmurations index (app murmurations) may fetch profiles on loopback/private
    # addresses: only for tests and `make federation-test` (otherwise refused: SSRF).
    "MURMURATIONS_ALLOW_PRIVATE": env_bool("SOLIDARIA_MURMURATIONS_ALLOW_PRIVATE", False),
    "MURMURATIONS_INDEX_URL": os.environ.get("SOLIDARIA_MURMURATIONS_INDEX_URL", "").rstrip("/"),
    "NETWORK_SLUG": os.environ.get("SOLIDARIA_NETWORK_SLUG", "demo").strip() or "demo",
    "CC_TIMEOUT": int(os.environ.get("SOLIDARIA_CC_TIMEOUT", "60")),  # seconds a hold waits
    # Credit Commons links may name loopback/private addresses: only for tests, `make
    # federation-test` and servers on one private network (otherwise refused: SSRF).
    "CC_ALLOW_PRIVATE_LINKS": env_bool("SOLIDARIA_CC_ALLOW_PRIVATE_LINKS", False),
}


def _client_error_in_one_line(record: logging.LogRecord) -> bool:
    """django.request logs a refused request (403, 404, 400) with the exception behind it;
    the one line "Forbidden: /path" says enough. Server errors (5xx) keep their traceback."""
    status = getattr(record, "status_code", None)
    if isinstance(status, int) and status < 500:
        record.exc_info = None
        record.exc_text = None
    return True


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_error_in_one_line": {"()": lambda: _client_error_in_one_line}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"filters": ["client_error_in_one_line"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("SOLIDARIA_LOG_LEVEL", "WARNING")},
}

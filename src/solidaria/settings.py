"""Settings come from environment variables; defaults give a working local instance.

DATABASE_URL selects the database (PostgreSQL in production); without it we use an
embedded SQLite file in ./var with WAL journalling.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from solidaria.core.paths import shared_data_dir

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("SOLIDARIA_VAR_DIR", Path.cwd() / "var"))
SHARED_DATA_DIR = shared_data_dir()


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-local-development-key-change-me")
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
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
    "solidaria.core",
    "solidaria.accounts",
    "solidaria.directory",
    "solidaria.ledger",
    "solidaria.clearing",
    "solidaria.budgeting",
    "solidaria.governance",
    "solidaria.indicators",
    "solidaria.federation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "solidaria@localhost")

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
}


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SOLIDARIA_LOG_LEVEL", "WARNING")},
}

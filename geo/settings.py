"""Settings, read from the environment (see README, "Configuration")."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from geo import client_address, gislibs

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# GDAL/GEOS from the pyogrio/shapely wheels; must be set before django.contrib.gis loads them.
_libs = gislibs.configure()
GDAL_LIBRARY_PATH = _libs["GDAL_LIBRARY_PATH"]
GEOS_LIBRARY_PATH = _libs["GEOS_LIBRARY_PATH"]

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment, or DEBUG=1 for development."
        )
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "csp",
    "geo",
    "sites",
    "markets",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # CONTENT_SECURITY_POLICY below (plus the basemap's tiles); Permissions-Policy.
    "geo.security_headers.PortalCSPMiddleware",
    "geo.security_headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Cache-Control/Vary: public copies of anonymous answers only (outside session/CSRF/auth,
    # so it sees every cookie set and the user found).
    "geo.cache_headers.CacheHeadersMiddleware",
    # Outside everything that queries: a database failure is a 503 with Retry-After, idempotent
    # requests retried once (geo/db_errors.py); then where this request reads (geo/db_routing.py).
    "geo.db_errors.DatabaseErrorMiddleware",
    "geo.db_routing.ReplicaRoutingMiddleware",
    # Scheduled zone changesets published from the read path, once a minute at most.
    "markets.changesets.middleware.publish_due_on_read",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "geo.middleware.RejectNulMiddleware",
    # A non-DRF 404/405 under /api/ and /ogcapi/ as JSON (handler404/500: geo/urls.py).
    "geo.error_pages.JsonApiErrorsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as axes asks: turns a locked-out sign-in into geo.lockout.lockout_response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "geo.urls"
WSGI_APPLICATION = "geo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "geo.context_processors.portal",
            ],
        },
    },
]


def _database_url() -> str:
    """DATABASE_URL, else the project-local cluster written by scripts/db.sh to var/."""
    url = os.environ.get("DATABASE_URL", "").strip()
    local = VAR_DIR / "database_url"
    if not url and local.exists():
        url = local.read_text().strip()
    if not url:
        raise ImproperlyConfigured(
            "No database: set DATABASE_URL=postgis://user:pass@host/db, "
            "or run `make run` to start the project-local PostGIS cluster."
        )
    return url


def _replica_url() -> str:
    """DATABASE_REPLICA_URL, else the local standby's (``scripts/db.sh standby``) when the local
    primary is in use; empty: no replica."""
    url = os.environ.get("DATABASE_REPLICA_URL", "").strip()
    local = VAR_DIR / "database_replica_url"
    if not url and not os.environ.get("DATABASE_URL", "").strip() and local.exists():
        url = local.read_text().strip()
    return url


def _database(url: str, *, connect_timeout: int = 5) -> dict:
    config = dj_database_url.parse(url, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")))
    config["ENGINE"] = "django.contrib.gis.db.backends.postgis"
    config.setdefault("OPTIONS", {})["connect_timeout"] = connect_timeout
    # A persistent connection that died with a server restart is noticed at the start of the
    # next request (one round trip) instead of failing that request's first query.
    config["CONN_HEALTH_CHECKS"] = True
    # Parallel test runs (several developers' suites on one cluster) pick distinct names.
    config["TEST"] = {"NAME": "test_portal" + os.environ.get("TEST_DB_SUFFIX", "")}
    return config


DATABASES = {"default": _database(_database_url())}
# The read replica (README, "Read replica"): anonymous reads of public data, geo/db_routing.py.
REPLICA_URL = _replica_url()
READ_REPLICA = "replica" if REPLICA_URL else None
if REPLICA_URL:
    # Tests read the primary: the alias mirrors the test database and the suite turns it off.
    DATABASES["replica"] = {**_database(REPLICA_URL, connect_timeout=2),
                            "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["geo.db_routing.PrimaryReplicaRouter"]
REPLICA_MAX_LAG_SECONDS = float(os.environ.get("REPLICA_MAX_LAG_SECONDS", "5"))
REPLICA_STICKY_SECONDS = int(os.environ.get("REPLICA_STICKY_SECONDS", "10"))
REPLICA_CHECK_SECONDS = 1.0  # how often each process asks the replica for its lag
REPLICA_RETRY_SECONDS = 2.0  # how long a replica that failed is left alone
# Paths (regular expressions on the path) whose anonymous GETs may read the replica.
REPLICA_READ_PATHS = [
    r"/api/v1/(projects|livelihood|markets)(/|\.|$)(?!.*/history/)",
    r"/api/v1/stats/$",
    r"/markets/",
    r"/ogcapi(/|$)",
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    # A database cache is shared by every worker process (API throttles count elsewhere:
    # geo.api.rate_counter).
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "portal_cache",
    },
    # Rendered layer bodies by their strong ETag, per worker (geo/api/body_cache.py).
    "bodies": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "portal-bodies",
        "TIMEOUT": 600,
        "OPTIONS": {"MAX_ENTRIES": 200},
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"  # the login view sends each role to geo.landing.landing_url instead
LOGOUT_REDIRECT_URL = "/"
CSRF_FAILURE_VIEW = "geo.error_pages.csrf_failure"

# Sign-in lockout (django-axes, counts in the database; see geo/lockout.py for the two limits).
AUTHENTICATION_BACKENDS = [
    "geo.lockout.PortalLockoutBackend",  # axes' AxesStandaloneBackend; must come first
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "geo.lockout.PortalLockoutHandler"
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
AXES_FAILURE_LIMIT = 5  # failures per username, from any address
LOGIN_FAILURE_LIMIT_PER_ADDRESS = 20  # failures per client address, over any usernames
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)  # the counting window and the lock's length
AXES_CLIENT_IP_CALLABLE = "geo.client_address.client_ip"
# The proxies in front (README, "Behind nginx"): empty, a hop count, or CIDRs. Read by
# geo.client_address for the lockout, throttles, logs and history; checked here at start-up.
TRUSTED_PROXIES = os.environ.get("TRUSTED_PROXIES", "").strip()
client_address.parse_trusted_proxies(TRUSTED_PROXIES)
AXES_LOCKOUT_CALLABLE = "geo.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# A success must not clear the address's count: one valid account would reset an attacker's.
AXES_RESET_ON_SUCCESS = False
# Attempts while locked are refused without being counted, so a lock ends 15 minutes after the
# failure that set it (counting them would let anyone keep someone's account locked for good).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or VAR_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Hashed names from a collected manifest (``manage.py collectstatic`` into STATIC_ROOT; `make run`
# and `make prod` collect first), or the source folders as they are (`make dev`, the tests).
# Production always uses the manifest: a page names /static/css/portal.<hash>.css, which may be
# cached for a year. Without a collected manifest every page that names a static file is a 500.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "geo.static_storage.ManifestStaticStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# With the manifest, WhiteNoise serves only the collected files, indexed once at start-up (as in
# production); without it, straight from the source folders, looked up on each request.
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
WHITENOISE_AUTOREFRESH = not STATIC_MANIFEST

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "geo.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["geo.api.throttling.AnonBurstThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon_burst": os.environ.get("ANON_THROTTLE_RATE", "600/min"),
        "anon_download": os.environ.get("ANON_DOWNLOAD_THROTTLE_RATE", "60/min"),
        "anon_items": os.environ.get("ANON_ITEMS_THROTTLE_RATE", "300/min"),
        # Problem reports (markets/reports/): the form and the API POST together.
        "anon_report": os.environ.get("REPORT_THROTTLE_RATE", "20/min"),
    },
}
# Throttle counts (geo.api.rate_counter): in PostgreSQL by default; in Redis when this is set,
# e.g. redis://127.0.0.1:6379/0 or unix:///run/redis/redis.sock (needs the "redis" package).
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
SPECTACULAR_SETTINGS = {
    "TITLE": "City map portal API",
    "DESCRIPTION": "Key projects, people's-livelihood works and night-market zones (GeoJSON).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # /api/docs/ loads Swagger UI from drf-spectacular-sidecar's static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No online validator badge (it would call validator.swagger.io). No deep links: they put
    # a link inside each operation's toggle button, a control in a control that keyboards and
    # screen readers cannot reach apart (axe-core: nested-interactive).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False, "validatorUrl": None},
    # Security and error answers per operation, as the server gives them (geo.api.schema_hooks).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "geo.api.schema_hooks.complete_operations",
    ],
}

# --- Portal configuration -----------------------------------------------------------------
# The basemap (geo/basemap_pack.py): "auto" takes the city's pack loaded with load_basemap,
# else Tianditu when TIANDITU_KEY is set, else none (the context layers alone, which need no
# network); "pack" is the same order. "osm" (an OSM-style XYZ URL), "tianditu" or "none" pin one.
BASEMAP = os.environ.get("BASEMAP", "auto").strip().lower()
BASEMAP_PACK_DIR = Path(os.environ.get("BASEMAP_PACK_DIR", str(VAR_DIR / "basemap")))
BASEMAP_URL = os.environ.get("BASEMAP_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
BASEMAP_ATTRIBUTION = os.environ.get("BASEMAP_ATTRIBUTION", "© OpenStreetMap contributors")
TIANDITU_KEY = os.environ.get("TIANDITU_KEY", "")
if BASEMAP not in {"auto", "pack", "osm", "tianditu", "none"}:
    raise ImproperlyConfigured(
        f"BASEMAP must be auto, pack, osm, tianditu or none, not {BASEMAP!r}."
    )
if BASEMAP == "tianditu" and not TIANDITU_KEY:
    raise ImproperlyConfigured("BASEMAP=tianditu needs TIANDITU_KEY (a Tianditu browser key).")

# The demo city's frame, (minx, miny, maxx, maxy) in WGS84; the stored city boundary wins.
CITY_BBOX = (98.20, 39.74, 98.36, 39.84)
MAP_CENTER = (39.79, 98.28)  # (lat, lon) for Leaflet
METRIC_SRID = 4542  # CGCS2000 / 3-degree Gauss-Kruger CM 99E: metres, for areas and lengths
# Context layers (geo/context_layers.py) are simplified by this many degrees (~5 m) when served.
CONTEXT_SIMPLIFY_DEGREES = 5e-5

# Status-light thresholds (DOMAIN.md); configuration, not code.
LIGHT_RULES = {
    "start_delay_yellow_months": 1,
    "start_delay_red_months": 3,
    "progress_gap_yellow_points": 10,
    "progress_gap_red_points": 30,
    "registration_lag_yellow_months": 1,
    "registration_lag_red_months": 2,
    "open_blockers_min_light": "yellow",
}
# Supervision orders (sites/orders/): default deadline by severity, in working days, and the
# working days overdue after which an open order escalates to the responsible leader.
ORDER_DEADLINE_WORKING_DAYS = {"general": 10, "urgent": 5, "critical": 2}
ORDER_ESCALATE_AFTER_WORKING_DAYS = int(os.environ.get("ORDER_ESCALATE_AFTER_WORKING_DAYS", "3"))
ORDER_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
# Uploaded order attachments (served to staff through a view, never as public static files).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or VAR_DIR / "media")
MEDIA_URL = "/media/"
BOND_BANK_TARGET_WAN = 10_000_000  # 1,000 亿元 = 10,000,000 万元
MARKET_MIN_M2_PER_STALL = float(os.environ.get("MARKET_MIN_M2_PER_STALL", "6"))
MARKET_MAX_VERTICES = 5000
MARKET_MAX_OVERLAP_M2 = 1.0
# Problem reports (markets/reports/): an open report older than this is flagged overdue; a
# reporter's phone number is deleted this many days after the report (purge_report_personal_data).
REPORT_RESPONSE_HOURS = int(os.environ.get("REPORT_RESPONSE_HOURS", "24"))
REPORT_PERSONAL_DATA_DAYS = int(os.environ.get("REPORT_PERSONAL_DATA_DAYS", "90"))
# A report's point may lie at most this many metres (EPSG:4542) outside its zone's boundary.
REPORT_MAX_DISTANCE_M = float(os.environ.get("REPORT_MAX_DISTANCE_M", "300"))
API_MAX_PAGE_SIZE = int(os.environ.get("API_MAX_PAGE_SIZE", "5000"))
# Import uploads: refuse larger files, and zips that would unpack to more (zip bombs).
IMPORT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
IMPORT_MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
# Form bodies (not files) up to 5 MB: a zone of MARKET_MAX_VERTICES vertices is ~0.2 MB of JSON.
# Uploaded files past 2.5 MB go to a temporary file instead of memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Security headers (geo/security_headers.py) ------------------------------------------
# No inline script anywhere: pages pass their config with json_script (data, never run) and
# load their code from /static/. Styles may be inline: Leaflet, Geoman and Swagger UI set
# style attributes. Images: our static files and data: URIs (icons in vendored CSS); the
# middleware adds the tile origins of BASEMAP/BASEMAP_URL to img-src.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Production hardening (DEBUG off) ----------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Probes call the application directly, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    # Off only for plain HTTP on this machine (`DEBUG=0 make run`, `make prod` on :8080): a
    # browser does not send a Secure cookie back over http://, so nobody could sign in.
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every line names the client's address (TRUSTED_PROXIES rule; "-" outside a request).
    "filters": {"client_ip": {"()": "geo.client_address.ClientAddressLogFilter"}},
    "formatters": {
        "portal": {"format": "%(asctime)s %(levelname)s %(name)s [%(client_ip)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler", "filters": ["client_ip"], "formatter": "portal",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

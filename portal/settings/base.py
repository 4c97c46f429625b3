"""Settings shared by every environment; local, production and test import from here."""
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parents[2]


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def database_from_env(default_sqlite_path):
    """PostgreSQL (or any dj-database-url URL) when DATABASE_URL is set, SQLite otherwise."""
    url = env("DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_max_age=int(env("DB_CONN_MAX_AGE", "60")), conn_health_checks=True)
    else:
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(default_sqlite_path)}
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        # WAL lets readers run beside one writer; IMMEDIATE takes the write lock at BEGIN so a
        # second writer waits (up to `timeout` seconds) instead of failing with "database is locked".
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    elif config["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_PREPARED_STATEMENTS", True):
        # Server-side parameters, and psycopg prepares a statement the connection has run 5 times:
        # PostgreSQL then reuses its plan instead of planning every query again (planning the
        # declaration look-up's eight-table join cost more CPU than running it). Off
        # (DB_PREPARED_STATEMENTS=0) behind a pooler in transaction mode older than PgBouncer 1.21.
        config["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
    return config


def require(name):
    value = env(name)
    if not value:
        raise ImproperlyConfigured(f"环境变量 {name} 未设置 (the environment variable {name} is required)")
    return value


INSTALLED_APPS = [
    "core.apps.CoreAdminConfig",  # django.contrib.admin with the portal's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "treebeard",
    "django_fsm",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "core",
    "accounts",
    "workflow",
    "hours",
    "review",
    "certificates",
    "ninja",  # the API reference page (Swagger UI) from its own static files, no CDN
    "api",
    "portal",
]

MIDDLEWARE = [
    # First: every log line of the request carries its id (nginx's X-Request-ID, or a new one).
    "log_request_id.middleware.RequestIDMiddleware",
    "core.logging.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every answer (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    # Static files straight from the collected, compressed, hashed copies (production); runserver serves them in DEBUG.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "accounts.middleware.MustChangePasswordMiddleware",
    # After CSRF and messages: a second identical POST is answered, not carried out again.
    "core.repeats.RepeatedPostMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a refused (locked-out) login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    # The portal's pages: Jinja2, with the Django template language's lookups and filters
    # (core/jinja.py); compiled to Python, it renders them in a fraction of the Django engine's time.
    {
        "BACKEND": "core.jinja.Pages",
        "NAME": "pages",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "core.jinja.environment",
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal_shell",
            ],
        },
    },
    # The admin's and other apps' own templates.
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

FORM_RENDERER = "core.rendering.WidgetRenderer"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out login before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.IdNumberOrUsernameBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "var" / "staticfiles")))
# Uploaded evidence lives outside the static root and is served only through permission-checked views.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = None


def default_storage_from_env():
    """Uploaded files on the filesystem at MEDIA_ROOT, or in an S3-compatible bucket when
    STORAGE_BACKEND=s3. Either way they are private: only permission-checked views serve them (see
    core/storage.py), so the bucket needs no public policy and objects are written with a private ACL."""
    backend = env("STORAGE_BACKEND", "filesystem").strip().lower()
    if backend == "filesystem":
        # No "location" option: FileSystemStorage then follows MEDIA_ROOT, also when tests change it.
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if backend != "s3":
        raise ImproperlyConfigured(f"STORAGE_BACKEND 只能是 filesystem 或 s3，而不是 {backend!r}")
    encryption = env("AWS_S3_SERVER_SIDE_ENCRYPTION", "")  # "", "AES256" or "aws:kms"
    object_parameters = {"ServerSideEncryption": encryption} if encryption else {}
    if encryption == "aws:kms" and env("AWS_S3_SSE_KMS_KEY_ID"):
        object_parameters["SSEKMSKeyId"] = env("AWS_S3_SSE_KMS_KEY_ID")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": require("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env("AWS_S3_REGION_NAME") or None,
            # Unset keys leave boto3 its own credential chain (instance role, ~/.aws, …).
            "access_key": env("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env("AWS_SECRET_ACCESS_KEY") or None,
            "location": env("AWS_LOCATION", ""),
            "addressing_style": env("AWS_S3_ADDRESSING_STYLE") or None,
            "signature_version": "s3v4",
            "default_acl": "private",
            # url() only ever gives signed, short-lived links; never a bare public object URL.
            "querystring_auth": True,
            "querystring_expire": int(env("STORAGE_SIGNED_URL_SECONDS", "60")),
            "custom_domain": None,
            "file_overwrite": False,
            "object_parameters": object_parameters,
            # Downloads spool to a temporary file beyond this size instead of growing in memory.
            "max_memory_size": 5 * 1024 * 1024,
        },
    }


STORAGES = {
    "default": default_storage_from_env(),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Downloads redirect (after the permission check) to a signed link valid STORAGE_SIGNED_URL_SECONDS
# instead of passing the bytes through Django; only for storages that can sign (S3).
STORAGE_SIGNED_URLS = env_bool("STORAGE_SIGNED_URLS", False)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The rule set (学时折算规则, by code) new declarations use; the admin refuses to switch it off.
DEFAULT_RULE_SET = env("DEFAULT_RULE_SET", "hunan-2024")

# A signed-in session ends SESSION_COOKIE_AGE after signing in however busy it is, after
# SESSION_IDLE_TIMEOUT without a request (等保三级 asks for an idle time-out; 30 min is usual), and
# when the browser closes (accounts/middleware.py).
SESSION_COOKIE_AGE = int(env("SESSION_COOKIE_AGE", str(60 * 60 * 2)))
SESSION_IDLE_TIMEOUT = int(env("SESSION_IDLE_TIMEOUT", str(30 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# No page is framed; a view that must be (an evidence preview, say) opts in with
# django.views.decorators.clickjacking.xframe_options_sameorigin.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Only the portal's own scripts, styles and forms: no inline <script>, style= or on…= handlers
# (htmx's indicator style is in portal.css, see base.html's htmx-config), images also as data:
# URLs, never framed. The certificate PDF's inline styles are WeasyPrint's, not a browser's.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Login lock-out (django-axes): AXES_FAILURE_LIMIT wrong passwords in a row lock that login from
# that address for AXES_COOLOFF_MINUTES (each further try restarts the wait). Counted per login
# *and* IP together: per login alone would let anyone lock a bureau clerk out from anywhere, per
# IP alone would lock a whole office out behind one NAT address. The client IP is read as for the
# audit trail and the verification rate limits (AXES_CLIENT_IP_CALLABLE; behind nginx, core/proxy.py
# sets it from X-Real-IP). The system administrator unlocks early by deleting the row in the admin's
# Axes › Access attempts (or with `manage.py axes_reset_username`).
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.lockout.attempt_username"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_CLIENT_IP_CALLABLE = "core.proxy.client_ip"
# Per address, whatever the login (accounts/signin_pace.py): after LOGIN_ADDRESS_FAILURES failed
# sign-ins from one address within LOGIN_ADDRESS_WINDOW_MINUTES, that address may try one password
# every LOGIN_ADDRESS_DELAY_SECONDS until the window ends — slowed, not locked, so that an office
# behind one NAT address is not shut out while a password sprayed over many accounts crawls.
LOGIN_ADDRESS_FAILURES = int(env("LOGIN_ADDRESS_FAILURES", "20"))
LOGIN_ADDRESS_WINDOW = timedelta(minutes=int(env("LOGIN_ADDRESS_WINDOW_MINUTES", "15")))
LOGIN_ADDRESS_DELAY_SECONDS = int(env("LOGIN_ADDRESS_DELAY_SECONDS", "10"))

# Second factor (django-otp, TOTP): when REQUIRE_2FA is on, people holding one of these roles (a
# superuser counts as sysadmin) must enter a code from an authenticator app after their password
# before any page opens (accounts/middleware.py). Production turns it on unless REQUIRE_2FA=0.
REQUIRE_2FA = env_bool("REQUIRE_2FA", False)
OTP_REQUIRED_ROLES = ("bureau_clerk", "sysadmin")
OTP_TOTP_ISSUER = "学时核认"
# The admin never shows a bound authenticator's key or QR code (whoever saw it could make the codes);
# the system administrator unbinds a lost one by deleting the device, and its owner binds anew.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Uploads up to 20 MB per file are allowed by the policy; anything bigger than the memory
# threshold streams to a temporary file.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Redis for the cache (and the sessions kept in it) when REDIS_URL says so; one process's memory
# otherwise, which production may not use: the rate limits would count per worker (`check --deploy`
# fails without it, core/ratelimit.py).
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "xueshi"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Background jobs (core/jobs.py). Embedded default: each job runs in-process as soon as its
# request commits, so `make run` needs no worker. TASKS_BACKEND=database queues them in the
# database for `manage.py db_worker` (production); the tables exist either way.
TASK_BACKENDS = {"immediate": "django_tasks.backends.immediate.ImmediateBackend", "database": "django_tasks_db.DatabaseBackend"}
TASKS_BACKEND = env("TASKS_BACKEND", "immediate")
if TASKS_BACKEND not in TASK_BACKENDS:
    raise ImproperlyConfigured(f"TASKS_BACKEND 只能是 immediate 或 database（现为 {TASKS_BACKEND!r}）")
TASKS = {"default": {"BACKEND": TASK_BACKENDS[TASKS_BACKEND]}}
# A running job reports at every item; one silent this long lost its worker (manage.py recover_jobs).
JOB_STALL_SECONDS = int(env("JOB_STALL_SECONDS", str(10 * 60)))

EMAIL_SUBJECT_PREFIX = "[学时核认] "
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "noreply@xueshi.example.cn")

# Where notices go (workflow.runner.notify): "portal" (我的消息; always kept, reminders refer to it),
# "email" (to the address on file) and "sms" (to the mobile on file, through SMS_BACKEND).
NOTIFY_CHANNELS = env_list("NOTIFY_CHANNELS", "portal,email")
if set(NOTIFY_CHANNELS) - {"portal", "email", "sms"} or "portal" not in NOTIFY_CHANNELS:
    raise ImproperlyConfigured(f"NOTIFY_CHANNELS 须含 portal，只能取 portal、email、sms（现为 {NOTIFY_CHANNELS!r}）")
# core/sms.py: core.sms.ConsoleBackend (logs the message) or core.sms.YunpianBackend (云片 v2).
SMS_BACKEND = env("SMS_BACKEND", "core.sms.ConsoleBackend")
SMS_YUNPIAN_URL = env("SMS_YUNPIAN_URL", "https://sms.yunpian.com/v2/sms/single_send.json")
SMS_YUNPIAN_APIKEY = env("SMS_YUNPIAN_APIKEY", "")
SMS_SIGNATURE = env("SMS_SIGNATURE", "学时核认")  # the 【签名】 registered with the gateway
SMS_TIMEOUT_SECONDS = float(env("SMS_TIMEOUT_SECONDS", "5"))

# The portal's title shown in the shell; the region comes from the rule set in force.
PORTAL_TITLE = env("PORTAL_TITLE", "湖南省专业技术人员继续教育学时核认平台")

# Certificates and their verification (certificates/signing.py; README › Certificates and verification).
# The seal's key and certificate files: one pair for every bureau, or in a settings module a dict
# {bureau USCC: path} each. Unset: the demo seal below, where demo signing is allowed.
CERT_SIGNING_KEY = env("CERT_SIGNING_KEY")
CERT_SIGNING_CERT = env("CERT_SIGNING_CERT")
# Unlocks CERT_SIGNING_KEY when it is encrypted.
CERT_SIGNING_KEY_PASSPHRASE = env("CERT_SIGNING_KEY_PASSPHRASE")
# Intermediate/root certificates embedded with the seal (paths; comma-separated in the environment).
CERT_SIGNING_CHAIN = env_list("CERT_SIGNING_CHAIN")
# Roots the verification page trusts besides the demo CA (paths; comma-separated in the environment).
CERT_TRUST_ROOTS = env_list("CERT_TRUST_ROOTS")
# Demo seal keys and CA, made when first needed; production allows them only with CERT_DEMO_SIGNING=1.
CERT_DEMO_SIGNING = env_bool("CERT_DEMO_SIGNING", True)
CERT_SIGNING_DIR = env("CERT_SIGNING_DIR", str(BASE_DIR / "var" / "signing"))
# The public address the certificate's QR code points to; empty: the requesting host.
CERT_VERIFY_BASE_URL = env("CERT_VERIFY_BASE_URL", "")
# A CJK TrueType font to embed; unset: the first installed candidate (certificates/fonts.py).
CERT_FONT_PATH = env("CERT_FONT_PATH")
# Verification requests per client address: bucket: (requests, seconds) (certificates/ratelimit.py).
CERT_RATE_LIMITS = {
    "bulk": (30, 60),  # the JSON bulk verification endpoint
    "upload": (20, 60),  # uploads checked on the verification pages (each runs a signature check)
}

# The training platforms' API (api/): calls per key (requests, seconds), counted in the shared cache
# (core/ratelimit.py), and the largest request body it reads (a batch of 1,000 records is ~350 KB).
API_RATE_LIMIT = (int(env("API_RATE_LIMIT", "120")), 60)
API_MAX_BODY = 1024 * 1024

# 忘记密码 (accounts/services.py password_code_send …): a code lives this many seconds and dies after
# this many wrong tries; codes asked for one login, and from one address: (requests, seconds).
PASSWORD_RESET_CODE_SECONDS = 600
PASSWORD_RESET_MAX_FAILURES = 5
PASSWORD_RESET_RATE_LIMITS = {
    "account": (3, 3600),
    "address": (10, 3600),
    # Step 2's tries (each checks a hash) and 修改密码's wrong old passwords.
    "attempt": (30, 3600),
    "old_password": (5, 900),
}

# Addresses of the reverse proxy whose X-Real-IP header names the client (core/proxy.py); none by
# default, so a client cannot choose its own address. Production trusts nginx on the same machine.
TRUSTED_PROXIES = env_list("DJANGO_TRUSTED_PROXIES")

# Request ids (django-log-request-id): nginx's X-Request-ID is kept, so its access log and ours
# share the id; without one a new id is made. Either way the response carries it back.
LOG_REQUEST_ID_HEADER = "HTTP_X_REQUEST_ID"
GENERATE_REQUEST_ID_IF_NOT_IN_HEADER = True
REQUEST_ID_RESPONSE_HEADER = "X-Request-ID"


def logging_config(log_format):
    """Everything to stderr, one line per record: `json` (one object a line, for the log shipper)
    or `plain` (for a terminal). ID and mobile numbers are masked on every handler (core/logging.py)."""
    if log_format not in {"json", "plain"}:
        raise ImproperlyConfigured(f"LOG_FORMAT 只能是 json 或 plain（现为 {log_format!r}）")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "log_request_id.filters.RequestIDFilter"},
            "client_errors_in_one_line": {"()": "core.logging.ClientErrorsInOneLine"},
            "mask_personal_numbers": {"()": "core.logging.MaskPersonalNumbers"},
        },
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"},
            "json": {"()": "core.logging.JsonFormatter"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format,
                        "filters": ["request_id", "client_errors_in_one_line", "mask_personal_numbers"]},
        },
        "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            # Django's defaults give these handlers of their own (mail_admins, runserver's), which
            # would bypass the masking: send them to the root handler instead.
            "django": {"handlers": [], "level": "INFO", "propagate": True},
            "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        },
    }


LOGGING = logging_config(env("LOG_FORMAT", "plain"))

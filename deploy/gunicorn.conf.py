"""gunicorn settings for the portal (`gunicorn -c deploy/gunicorn.conf.py`); each can be changed
through the environment (GUNICORN_*) without editing this file. See README, "Production"."""
import multiprocessing
import os

wsgi_app = "portal.wsgi:application"

# nginx on the same machine proxies to this address; never expose it to the network directly.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")

# Synchronous workers, the usual 2 × cores + 1: requests are short, except certificate rendering
# (about 0.25 s) and uploads, which nginx buffers before they reach a worker.
workers = int(os.environ.get("GUNICORN_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
worker_class = "sync"

# A worker silent this long is killed and replaced; a 20 MB upload arrives from nginx's buffer in
# well under a second, so 60 s only catches a hung request.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))

# Recycle each worker after about a thousand requests (staggered so they do not restart together),
# which bounds the memory WeasyPrint and pyHanko may hold on to.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "100"))

# X-Forwarded-Proto is believed only from these addresses (nginx); it tells Django the request came over HTTPS.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Access and error log to stdout/stderr (the journal under systemd). The request id is the
# X-Request-ID response header: nginx's $request_id echoed by Django, or the one Django made when
# the request came without (core/logging.py), so one id ties nginx's, gunicorn's and Django's lines together.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The path without its query string and no Referer: queue filters carry 证件号码 in the query, and
# access lines bypass Django's masking filter.
access_log_format = (
    '%(h)s "%({x-forwarded-for}i)s" %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s" request_id=%({x-request-id}o)s'
)
# The process name in ps/top.
proc_name = "xueshi-web"

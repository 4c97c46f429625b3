import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.production")
django_application = get_wsgi_application()

from core.proxy import BehindProxy  # noqa: E402 — needs the settings configured above

application = BehindProxy(django_application)

# A page allocates tens of thousands of short-lived objects (rows, template nodes), so the cyclic
# collector's default (a pass every 700) ran many times a request, its older passes walking
# everything Django loaded. What import made lives as long as the process: keep it out of the
# collector's sight, and collect the young generation less often (about 3 % of a page's CPU in an A/B).
gc.freeze()
gc.set_threshold(50_000, 20, 100)

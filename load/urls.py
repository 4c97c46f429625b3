"""The portal's URLs and /load/ping, the trivial view the load test measures as its ceiling.

Only load/settings.py names this URLconf, so the deployed portal has no such page: nothing is
added to what the internet can reach, not even a harmless one."""
from django.http import HttpResponse
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns


def ping(request):
    """No database, no session, no template: what serving any page costs at the least."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("load/ping", ping), *portal_urlpatterns]

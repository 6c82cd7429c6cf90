"""The URLconf of bench/callbacks.py's server: the project's URLs plus a bare view to compare with.

`/bench/bare/` answers 200 "ok" to any method and does no database work. It goes through the
same server, the same WSGI handler and the same middleware as the project's views, so the
difference between it and an endpoint is what the endpoint itself costs. It reads the request
body, as the status callback does, so both are sent the same PUT requests.

Only the benchmark's server uses this module (it sets ROOT_URLCONF to it at start-up); the
project's settings and URLs do not change.
"""

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

BARE_PATH = "bench/bare/"


@csrf_exempt
def bare(request):
    request.body  # noqa: B018 (read, as the callback view does; its cost belongs to both)
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path(BARE_PATH, bare, name="bench-bare"),
    path("", include("config.urls")),
]

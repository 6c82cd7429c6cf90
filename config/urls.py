from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("", include("fulfilment.urls")),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/qstomizer/", include("integrations.qstomizer.sandbox")))
    urlpatterns.append(path("sandbox/kickflip/", include("integrations.mycustomizer.sandbox", "kickflip")))
    urlpatterns.append(path("sandbox/mycustomizer/", include("integrations.mycustomizer.sandbox", "mycustomizer")))
    urlpatterns.append(path("sandbox/custom-gateway/", include("integrations.custom_gateway.sandbox")))

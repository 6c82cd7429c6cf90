from django.apps import apps
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("", include("fulfilment.urls")),
]

# The vendor simulators under /sandbox/<vendor>/: the development-only sandbox app, installed by
# the local and test settings alone (production never imports it).
if apps.is_installed("integrations.sandbox"):
    urlpatterns.append(path("", include("integrations.sandbox.urls")))

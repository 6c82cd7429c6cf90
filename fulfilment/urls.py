from django.urls import path

from . import views

app_name = "fulfilment"
urlpatterns = [
    # /hooks/<vendor slug>/<connection token>/<hook>/: the hooks each vendor's spec declares.
    path("hooks/<slug:vendor>/<str:token>/<slug:hook>/", views.hook, name="hook"),
    path("files/artwork/<str:token>/", views.artwork_file, name="artwork-file"),
    path("files/preview/<str:token>/", views.side_preview, name="side-preview"),
    path("files/packing-slip/<str:token>/", views.packing_slip, name="packing-slip"),
]

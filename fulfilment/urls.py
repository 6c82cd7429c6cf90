from django.urls import path

from . import views

app_name = "fulfilment"
urlpatterns = [
    path("hooks/custom-gateway/<str:token>/status/", views.status_callback, name="status-callback"),
    path("hooks/custom-gateway/<str:token>/orders/", views.order_push, name="order-push"),
    path("files/artwork/<str:token>/", views.artwork_file, name="artwork-file"),
]

from django.urls import path

from flotte.opendata import views

app_name = "opendata"

urlpatterns = [
    path("<slug:slug>/<str:name>.json", views.gbfs, name="gbfs"),
]

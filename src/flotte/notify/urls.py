"""The pages behind the links of notification e-mails."""

from django.urls import path

from flotte.notify import views

app_name = "notify"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("survey/<str:token>/", views.survey, name="survey"),
]

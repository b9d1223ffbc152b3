from django.contrib.auth import views as auth_views
from django.urls import path

from flotte.web import views
from flotte.web.forms import EmailLoginForm

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", authentication_form=EmailLoginForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar"),
    path("c/<slug:slug>/", views.community, name="community"),
    path("c/<slug:slug>/signup/", views.signup, name="signup"),
    path("c/<slug:slug>/verify/<str:token>/", views.verify, name="verify"),
    path("c/<slug:slug>/join/", views.join, name="join"),
]

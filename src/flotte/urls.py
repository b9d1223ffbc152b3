from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.static import serve

from flotte.api.urls import api

admin.site.site_header = "Flotte"
admin.site.site_title = "Flotte operator"
# The admin is the operator's tool: staff rights alone do not open it.
admin.site.has_permission = lambda request: bool(  # type: ignore[method-assign]
    request.user.is_active and request.user.is_staff and getattr(request.user, "is_operator", False)
)

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("n/", include("flotte.notify.urls")),
    path("gbfs/", include("flotte.opendata.urls")),
    path("", include("flotte.web.urls")),
]

if settings.DEBUG:
    # Uploaded files on a laptop; in production the reverse proxy serves
    # branding only, and documents go through an authorised view.
    urlpatterns += [
        path(
            "media/branding/<path:path>", serve, {"document_root": settings.MEDIA_ROOT / "branding"}
        )
    ]

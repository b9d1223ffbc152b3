"""The public GBFS files of a community: no login, JSON, cacheable for the
file's ttl. A community that does not publish answers 404."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from flotte.core.errors import NotFound
from flotte.core.tenancy import cross_tenant
from flotte.opendata.gbfs import gbfs_file, published_community


@require_GET
def gbfs(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    with cross_tenant("the public GBFS feed of one community"):
        try:
            document = gbfs_file(published_community(slug), name)
        except NotFound as error:
            return JsonResponse({"code": error.code, "message": error.message}, status=404)
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = f"public, max-age={document['ttl']}"
    response["Access-Control-Allow-Origin"] = "*"
    return response

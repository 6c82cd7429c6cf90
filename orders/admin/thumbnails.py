"""Mirrored side thumbnails (orders/services/thumbnails.py), served from our storage to staff
who may see vendor images: storage is never served openly, and the bytes are sniffed again on
the way out (orders/file_responses.py)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from integrations.filetypes import PREVIEW_IMAGE

from ..file_responses import stored_file_response
from ..models import CustomizationSide


def side_thumbnail_view(request, pk: int, version: str, *, allowed) -> object:
    """`allowed(user)`: who may see vendor images (review.image_view_allowed). The version in
    the URL only busts the browser's cache when the file changes; any value serves the current one."""
    if not allowed(request.user):
        raise PermissionDenied
    side = get_object_or_404(CustomizationSide.objects.only("id", "thumbnail", "thumbnail_state"), pk=pk)
    if side.thumbnail_state != "ready" or not side.thumbnail:
        raise Http404("no thumbnail yet")
    response = stored_file_response(side.thumbnail, allowed=PREVIEW_IMAGE, what="image")
    if response.status_code == 200:
        response["Cache-Control"] = "private, max-age=604800"
    return response

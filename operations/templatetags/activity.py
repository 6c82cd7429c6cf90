"""{% activity_panel original %}: the notes, tags and activity feed of a customization, store
order, fulfilment order or pushed order, on its change page (templates/admin/<app>/<model>/
change_form.html load this library; orders and fulfilment never import operations)."""

from django import template

from operations.notes_models import TARGETS

register = template.Library()


@register.simple_tag(takes_context=True)
def activity_panel(context, obj):
    request = context.get("request")
    if obj is None or getattr(obj, "pk", None) is None or request is None:
        return ""
    if obj._meta.concrete_model not in TARGETS or not request.user.has_perm("operations.view_note"):
        return ""
    from operations.admin.notes import panel_render

    return panel_render(request, obj)  # the template engine's SafeString: escaped where rendered

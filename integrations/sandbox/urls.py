"""Every registered vendor's simulator at /sandbox/<spec.slug>/ (development and tests only).

A simulator module that declares `app_name` (one module serving several kinds, such as
MyCustomizer's for Kickflip and MyCustomizer) is mounted once per kind with the kind as its
instance namespace, so that its views know which kind they answer for; the others are mounted
as they are (their URL names are global, e.g. "sandbox-qstomizer-root").
"""

from importlib import import_module

from django.urls import include, path

from integrations.registry import vendor_specs


def sandbox_urlpatterns() -> list:
    patterns = []
    for spec in vendor_specs().values():
        if not spec.sandbox:
            continue
        module = import_module(spec.sandbox)
        if getattr(module, "app_name", None):
            patterns.append(path(f"sandbox/{spec.slug}/", include(spec.sandbox, namespace=spec.kind)))
        else:
            patterns.append(path(f"sandbox/{spec.slug}/", include(spec.sandbox)))
    return patterns


urlpatterns = sandbox_urlpatterns()

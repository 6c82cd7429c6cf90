"""Django's admin app, with the back office's site (operations.site.BackOfficeSite) as its default."""

from django.contrib.admin.apps import AdminConfig


class BackOfficeAdminConfig(AdminConfig):
    default_site = "operations.site.BackOfficeSite"

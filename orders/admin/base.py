from django.contrib import admin


class ViewOnlyAdmin(admin.ModelAdmin):
    """Records that come from vendors or from the system: staff look, nobody adds or edits them
    here. Deleting follows the model's delete permission unless `deletable` is False."""

    deletable = True

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.deletable and super().has_delete_permission(request, obj)


class ViewOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

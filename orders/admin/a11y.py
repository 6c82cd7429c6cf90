"""Names for inputs that have no <label> of their own (WCAG 1.3.1, 4.1.2).

A tabular inline and a changelist's editable column show each field's label once, as a column
heading, so the inputs in the rows are unnamed for a screen reader. `RowLabelledForm` gives each
visible widget an aria-label: the field's label and, for a saved row, the row's object
("Quantity available, MUG-11OZ-WHT")."""

from django import forms


class RowLabelledForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        row = str(self.instance) if self.instance is not None and self.instance.pk is not None else ""
        for field in self.fields.values():
            if field.widget.is_hidden or "aria-label" in field.widget.attrs:
                continue
            name = str(field.label or "")
            field.widget.attrs["aria-label"] = f"{name}, {row}" if row else name

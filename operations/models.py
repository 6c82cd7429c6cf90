"""The operations app's models; each part keeps its models in its own module, imported here so
that Django finds them."""

from .notes_models import Note, Tag, Tagging  # noqa: F401

"""Secrets at rest: a text field encrypted with Fernet keys from the environment."""

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models


@lru_cache(maxsize=1)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: set at least one Fernet key")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext; Python code sees the plain text. Never searchable."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return fernet().encrypt(value.encode()).decode()

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        try:
            return fernet().decrypt(value.encode()).decode()
        except InvalidToken:
            raise ImproperlyConfigured(
                "a stored secret cannot be decrypted: FIELD_ENCRYPTION_KEYS lacks the key it was written with"
            ) from None


class EncryptedJSONField(EncryptedTextField):
    """A JSON object stored as one Fernet ciphertext (a connection's credentials): Python code sees
    a dict of strings; the column holds no plaintext, not even the names. An empty dict is stored
    as the empty string."""

    # For django-stubs: what Python code reads and writes (the base class's are str).
    _pyi_private_set_type: dict[str, str]
    _pyi_private_get_type: dict[str, str]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", dict)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def get_prep_value(self, value):
        if value in (None, "", {}):
            return ""
        if not isinstance(value, str):
            value = json.dumps(value, sort_keys=True)
        return fernet().encrypt(value.encode()).decode()

    def from_db_value(self, value, expression, connection):
        value = super().from_db_value(value, expression, connection)
        return self.to_python(value)

    def to_python(self, value):
        if value in (None, ""):
            return {}
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise ValidationError("not a JSON object") from None
        if not isinstance(value, dict):
            raise ValidationError("not a JSON object")
        return value

    def value_to_string(self, obj):
        # dumpdata: the decrypted object, as EncryptedTextField gives its plain text (whoever may
        # run dumpdata may read the database and the keys anyway).
        return json.dumps(self.value_from_object(obj), sort_keys=True)

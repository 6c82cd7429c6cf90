"""0008 carries every connection's settings and secrets from the old columns into `settings` and
the encrypted `secrets`, and back again."""

import pytest
from django.db import connection as db
from django.db.migrations.executor import MigrationExecutor

from orders.models import VendorConnection

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("orders", "0007_sync_resume")]
AFTER = [("orders", "0008_vendor_settings_and_secrets")]

OLD_ROWS = {
    "Shop": {
        "kind": "qstomizer",
        "shop_domain": "shop.myshopify.com",
        "api_key": "qst-secret-1",
        "base_url": "https://q.example/v3",
    },
    "Brand": {"kind": "kickflip", "company": "brand", "api_key": "jwt-secret-2"},
    "My brand": {"kind": "mycustomizer", "company": "mine", "api_key": "jwt-secret-3", "base_url": ""},
    # The old client used orders_url or base_url: a base_url alone becomes the orders_url.
    "Gateway": {
        "kind": "custom_gateway",
        "company": "123",
        "api_key": "cg-secret-4",
        "push_hmac_key": "hmac-secret-5",
        "base_url": "https://cg.example/order",
        "stock_url": "https://cg.example/stock",
    },
    "Gateway 2": {
        "kind": "custom_gateway",
        "company": "456",
        "api_key": "cg-secret-6",
        "base_url": "https://ignored.example/",
        "orders_url": "https://cg2.example/order",
        "shipping_url": "https://cg2.example/order/{order_id}/ship",
    },
}

EXPECTED = {
    "Shop": (
        {"shop_domain": "shop.myshopify.com", "base_url": "https://q.example/v3"},
        {"api_key": "qst-secret-1"},
    ),
    "Brand": ({"company": "brand"}, {"api_key": "jwt-secret-2"}),
    "My brand": ({"company": "mine"}, {"api_key": "jwt-secret-3"}),
    "Gateway": (
        {"company": "123", "orders_url": "https://cg.example/order", "stock_url": "https://cg.example/stock"},
        {"api_key": "cg-secret-4", "push_hmac_key": "hmac-secret-5"},
    ),
    "Gateway 2": (
        {
            "company": "456",
            "orders_url": "https://cg2.example/order",
            "shipping_url": "https://cg2.example/order/{order_id}/ship",
        },
        {"api_key": "cg-secret-6"},
    ),
}
SECRETS = ["qst-secret-1", "jwt-secret-2", "jwt-secret-3", "cg-secret-4", "hmac-secret-5", "cg-secret-6"]


def migrate(targets):
    executor = MigrationExecutor(db)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def at_0007():
    apps = migrate(BEFORE)
    yield apps
    executor = MigrationExecutor(db)
    migrate(executor.loader.graph.leaf_nodes())


COLUMNS = {
    "api_key": "SELECT api_key FROM orders_vendorconnection ORDER BY id",
    "secrets": "SELECT secrets FROM orders_vendorconnection ORDER BY id",
}


def stored_column(column: str) -> list[str]:
    with db.cursor() as cursor:
        cursor.execute(COLUMNS[column])
        return [row[0] for row in cursor.fetchall()]


def test_0008_carries_every_connection_over_with_its_secrets_encrypted_and_back(at_0007):
    Old = at_0007.get_model("orders", "VendorConnection")
    for name, values in OLD_ROWS.items():
        Old.objects.create(name=name, sync_every_minutes=None, lookback_days=12, **values)
    assert not any(secret in value for value in stored_column("api_key") for secret in SECRETS)

    migrate(AFTER)

    for name, (settings, secrets) in EXPECTED.items():
        connection = VendorConnection.objects.get(name=name)
        assert (connection.settings, connection.secrets) == (settings, secrets), name
        assert connection.lookback_days == 12 and connection.kind == OLD_ROWS[name]["kind"]
    # The client sees what the old one did (blank: the vendor's default).
    gateway = VendorConnection.objects.get(name="Gateway").config()
    assert gateway.settings["orders_url"] == "https://cg.example/order"
    # (Secrets the spec gained later, all optional, are blank.)
    assert {k: v for k, v in gateway.secrets.items() if v} == {
        "api_key": "cg-secret-4",
        "push_hmac_key": "hmac-secret-5",
    }
    assert VendorConnection.objects.get(name="Brand").setting("base_url") == "https://api.mycustomizer.com"
    # At rest: one ciphertext per connection, no secret nor even a secret's name in the clear.
    stored = stored_column("secrets")
    assert len(stored) == len(OLD_ROWS) and all(stored)
    assert not [value for value in stored if any(s in value for s in [*SECRETS, "api_key", "push_hmac_key"])]

    # And back (both directions in one test: each migration test is a full round trip of the schema).
    back = migrate(BEFORE).get_model("orders", "VendorConnection")
    gateway = back.objects.get(name="Gateway")
    assert (gateway.company, gateway.orders_url, gateway.stock_url) == (
        "123",
        "https://cg.example/order",
        "https://cg.example/stock",
    )
    assert (gateway.api_key, gateway.push_hmac_key) == ("cg-secret-4", "hmac-secret-5")
    shop = back.objects.get(name="Shop")
    assert (shop.shop_domain, shop.base_url, shop.api_key) == (
        "shop.myshopify.com",
        "https://q.example/v3",
        "qst-secret-1",
    )
    assert not any(secret in value for value in stored_column("api_key") for secret in SECRETS)

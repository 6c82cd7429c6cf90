"""Custom Gateway's registry entry (vendor doc: custom-gateway-api.txt): Order-iT (we send
orders, it calls back with statuses) and the supplier APIs (it pushes orders, we ship them with
labels and push stock)."""

from __future__ import annotations

from ..partners import HookKind, IncomingHook
from ..registry import Capability, ConnectionConfig, HttpOptions, Secret, Setting, VendorSpec
from ..validators import connection_url_validate, custom_gateway_company_validate
from .designs import print_job_record, saved_design_hook_parse
from .partner import CustomGatewayPartner, push_parse, push_verify, status_parse
from .products import DEFAULT_GRAPHQL_URL, DEFAULT_TOKEN_URL, DEFAULT_USER_IMAGE_URL
from .smartlinks import DEFAULT_DESIGNER_URL
from .types import (
    DEFAULT_ORDERS_URL,
    DEFAULT_SHIPPING_URL,
    DEFAULT_STOCK_URL,
    RATE_LIMIT_PER_DAY,
    RATE_LIMIT_PER_HOUR,
)
from .vpc import CustomGatewayProductCreator


def client(config: ConnectionConfig, options: HttpOptions):
    from .client import CustomGatewayClient

    return CustomGatewayClient(
        company_ref_id=config.settings["company"],
        api_key=config.secrets["api_key"],
        orders_url=config.settings.get("orders_url") or DEFAULT_ORDERS_URL,
        shipping_url=config.settings.get("shipping_url") or DEFAULT_SHIPPING_URL,
        stock_url=config.settings.get("stock_url") or DEFAULT_STOCK_URL,
        **vars(options),
    )


def _shipping_url_validate(value: str) -> None:
    connection_url_validate(value.replace("{order_id}", "0"))


def _category_validate(value: str) -> None:
    if value and not str(value).isdigit():
        raise ValueError("A category ID is digits only.")


SPEC = VendorSpec(
    kind="custom_gateway",
    label="Custom Gateway",
    client=client,
    settings=(
        Setting(
            "company",
            "Company reference ID",
            help="Your Custom Gateway company reference ID (digits).",
            required=True,
            validate=custom_gateway_company_validate,
        ),
        Setting(
            "orders_url",
            "Order-iT orders URL",
            help="Blank: the default.",
            default=DEFAULT_ORDERS_URL,
            type="url",
            validate=connection_url_validate,
            sends_secrets=True,
        ),
        Setting(
            "shipping_url",
            "Order shipping URL",
            help="May contain {order_id}. Blank: the default.",
            default=DEFAULT_SHIPPING_URL,
            validate=_shipping_url_validate,
            sends_secrets=True,
        ),
        Setting(
            "stock_url",
            "Stock URL",
            help="Blank: the default.",
            default=DEFAULT_STOCK_URL,
            type="url",
            validate=connection_url_validate,
            sends_secrets=True,
        ),
        Setting(
            "designer_url",
            "Smartlink designer base URL",
            help="Where the personalisation apps are served (the Smartlinks' origin). Blank: the default.",
            default=DEFAULT_DESIGNER_URL,
            type="url",
            validate=connection_url_validate,
        ),
        # Virtual products (products.py): the product manager's OAuth, GraphQL and image URLs.
        Setting(
            "oauth_token_url",
            "OAuth token URL",
            help="Virtual products: where the OAuth client asks for tokens. Blank: the default.",
            default=DEFAULT_TOKEN_URL,
            type="url",
            validate=connection_url_validate,
            sends_secrets=True,
        ),
        Setting(
            "graphql_url",
            "Product manager GraphQL URL",
            help="Virtual products: blank for the default.",
            default=DEFAULT_GRAPHQL_URL,
            type="url",
            validate=connection_url_validate,
            sends_secrets=True,
        ),
        Setting(
            "user_image_url",
            "User Image API URL",
            help="Virtual products: where print files are hosted. Blank: the default.",
            default=DEFAULT_USER_IMAGE_URL,
            type="url",
            validate=connection_url_validate,
            sends_secrets=True,
        ),
        # The Virtual Product Creator (vpc.py): the doc gives no host, so no default.
        Setting(
            "vpc_url",
            "VPC URL",
            help="Virtual Product Creator page, from Custom Gateway. Blank: no VPC.",
            type="url",
            validate=connection_url_validate,
        ),
        Setting(
            "vpc_approved_category",
            "VPC approved products category ID",
            help="Digits: the category created products go into.",
            validate=_category_validate,
        ),
        Setting(
            "vpc_blanks_category",
            "VPC blanks category ID",
            help="Digits: the category of product blanks offered.",
            validate=_category_validate,
        ),
    ),
    secrets=(
        Secret("api_key", "API key"),
        Secret(
            "push_hmac_key",
            "Order push HMAC key",
            help="Custom Gateway supplier: from the Generic API settings; verifies pushed orders.",
            required=False,
            sent=False,
        ),
        Secret(
            "oauth_client_id",
            "OAuth client ID",
            help="Virtual products: the product manager's OAuth client, from Custom Gateway's support.",
            required=False,
        ),
        Secret("oauth_client_secret", "OAuth client secret", help="Virtual products: its secret.", required=False),
    ),
    capabilities=frozenset(
        {
            Capability.FULFILMENT_SEND,
            Capability.STATUS_HOOKS,
            Capability.ORDER_PUSH,
            Capability.SHIPPING,
            Capability.STOCK,
            Capability.SMARTLINKS,
            Capability.DESIGN_CALLBACKS,
            Capability.VIRTUAL_PRODUCTS,
            Capability.PRODUCT_CREATOR,
        }
    ),
    sandbox="integrations.custom_gateway.sandbox",
    partner=CustomGatewayPartner,
    hooks={
        # Unsigned: the URL's token is the proof. A body it cannot read gets 200 all the same: OMS
        # retries a 4xx five times, two hours apart, and the same bytes cannot get better.
        "status": IncomingHook(
            "Status callbacks",
            parse=status_parse,
            kind=HookKind.STATUS_CALLBACK,
            methods=("PUT", "POST"),
            invalid_status=200,
        ),
        # Signed (X-CustomGateway-Hmac over the raw body); an unreadable verified push is its bug: 400.
        "orders": IncomingHook(
            "Order push", verify=push_verify, parse=push_parse, kind=HookKind.ORDER_PUSH, methods=("POST",)
        ),
        # The save-design callback (designs.py): a form POST from the customer's browser, unsigned,
        # so the URL's token is the proof. An unreadable one is 400 (and kept with its reason).
        "designs": IncomingHook(
            "Saved designs (save-design callback URL)",
            parse=saved_design_hook_parse,
            kind=HookKind.SAVED_DESIGN,
            methods=("POST",),
        ),
    },
    print_job=print_job_record,
    rate_limits={"h": RATE_LIMIT_PER_HOUR, "d": RATE_LIMIT_PER_DAY},
    product_creator=CustomGatewayProductCreator(),
)

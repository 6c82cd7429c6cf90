"""Which partner a design goes to: the routing table (RoutingRule), read the same for every
partner. The first active rule, by priority, whose conditions all hold routes the design; a rule
with no condition is the default. Only rules of active connections that take fulfilment orders
count (a rule left pointing at a retired partner routes nothing)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from integrations.registry import Capability
from orders.models import Customization, VendorConnection

from ..models import RoutingRule


@dataclass(frozen=True)
class Route:
    customization: Customization
    rule: RoutingRule | None  # None: no rule matches (and there is no default)

    @property
    def connection(self) -> VendorConnection | None:
        return self.rule.connection if self.rule else None

    @property
    def why(self) -> str:
        if self.rule is None:
            return "no rule matches and there is no default: choose a partner"
        return f"{self.rule.condition} (rule #{self.rule.pk}, priority {self.rule.priority})"


def rule_matches(rule: RoutingRule, customization: Customization) -> bool:
    """Every condition the rule has holds for the design (none: the default, always)."""
    if rule.product_contains and rule.product_contains.casefold() not in customization.product_title.casefold():
        return False
    if rule.template_id and rule.template_id.strip() != customization.template_id:
        return False
    if rule.sku:
        pattern = rule.sku.strip()
        if pattern.endswith("*"):
            if not customization.sku.startswith(pattern[:-1]):
                return False
        elif customization.sku != pattern:
            return False
    return True


def routing_rules() -> list[RoutingRule]:
    """The active rules that can route (their partner is active and takes orders), in order."""
    partners = VendorConnection.objects.with_capability(Capability.FULFILMENT_SEND).filter(is_active=True)
    return list(
        RoutingRule.objects.filter(is_active=True, connection__in=partners)
        .select_related("connection")
        .order_by("priority", "id")
    )


def customization_route(customization: Customization, rules: Sequence[RoutingRule] | None = None) -> Route:
    rules = routing_rules() if rules is None else rules
    return Route(customization, next((rule for rule in rules if rule_matches(rule, customization)), None))


def customizations_route(customizations: Iterable[Customization]) -> list[Route]:
    rules = routing_rules()
    return [customization_route(customization, rules) for customization in customizations]


def routes_by_partner(routes: Iterable[Route]) -> dict[VendorConnection | None, list[Customization]]:
    """The designs grouped by the partner they route to (None: unrouted), in first-seen order."""
    groups: dict[VendorConnection | None, list[Customization]] = {}
    for route in routes:
        groups.setdefault(route.connection, []).append(route.customization)
    return groups


def routed_partner(routes: Sequence[Route]) -> VendorConnection | None:
    """The one partner every routed design goes to (to pre-select), else None."""
    partners = {route.connection for route in routes if route.connection is not None}
    return partners.pop() if len(partners) == 1 else None

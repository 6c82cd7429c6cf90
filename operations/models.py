"""The operations app's models; each part keeps its models in its own module, imported here so
that Django finds them."""

from .rules_models import AutomationRule, AutoSend, RuleAction  # noqa: F401

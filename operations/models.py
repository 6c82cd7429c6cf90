"""The operations app's models; each part keeps its models in its own module, imported here so
that Django finds them."""

from .alerts_models import AlertPreference, Incident  # noqa: E402, F401
from .notes_models import Note, Tag, Tagging  # noqa: F401
from .rules_models import AutomationRule, AutoSend, RuleAction  # noqa: F401
from .totals_models import DailyTotals  # noqa: F401

"""add_connection: create or update a vendor connection by name, non-interactively.

Its vendor flags come from the registry: every setting and secret of every spec in
settings.VENDORS is a flag (`Setting.flag` / `Secret.flag`, or --<name with dashes>); one flag may
serve several kinds (--company, --base-url), and its help names the kinds it applies to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from integrations.registry import vendor_specs
from orders.services.connections import connection_upsert

# The flag behind each common field, so that every error names what to fix on the command line.
COMMON_FLAGS = {"kind": "--kind", "name": "--name", "sync_every_minutes": "--sync-every", "is_active": "--inactive"}


@dataclass
class VendorFlag:
    flag: str
    secret: bool
    names: dict[str, str] = field(default_factory=dict)  # kind -> the setting's or secret's name
    helps: dict[str, str] = field(default_factory=dict)  # label -> the kinds it is for

    @property
    def dest(self) -> str:
        return "vendor_" + self.flag.lstrip("-").replace("-", "_")


def vendor_flags() -> dict[str, VendorFlag]:
    """flag -> which setting or secret of which kinds it sets, from the registry."""
    flags: dict[str, VendorFlag] = {}
    for spec in vendor_specs().values():
        for item, secret in [*((s, False) for s in spec.settings), *((s, True) for s in spec.secrets)]:
            name = item.flag or f"--{item.name.replace('_', '-')}"
            entry = flags.setdefault(name, VendorFlag(name, secret))
            entry.secret = entry.secret or secret
            entry.names[spec.kind] = item.name
            words = item.label + (" (stored encrypted)" if secret else "")
            if item.help:
                words += f". {item.help.rstrip('.')}"
            entry.helps.setdefault(words, "")
            entry.helps[words] = ", ".join(filter(None, [entry.helps[words], spec.label]))
    return flags


class Command(BaseCommand):
    help = (
        "Create or update a vendor connection by name, non-interactively (for scripted deployments). "
        "Each vendor's flags are listed with the vendors they apply to."
    )

    def add_arguments(self, parser):
        specs = vendor_specs()
        parser.add_argument(
            "--kind",
            required=True,
            choices=list(specs),
            help="the vendor: " + ", ".join(f"{kind} ({spec.label})" for kind, spec in specs.items()),
        )
        parser.add_argument("--name", required=True)
        for entry in vendor_flags().values():
            parser.add_argument(
                entry.flag,
                dest=entry.dest,
                metavar=entry.flag.lstrip("-").upper().replace("-", "_"),
                help="; ".join(f"{kinds}: {words}" for words, kinds in entry.helps.items()),
            )
        parser.add_argument("--sync-every", type=int, help="minutes between scheduled syncs; 0 for none")
        parser.add_argument("--inactive", action="store_true", help="create it switched off")

    def handle(self, *args, **options):
        kind = options["kind"]
        spec = vendor_specs()[kind]
        flags = vendor_flags()
        given = {entry.flag: options.get(entry.dest) for entry in flags.values()}
        given = {flag: value for flag, value in given.items() if value is not None}
        foreign = [flag for flag in given if kind not in flags[flag].names]
        if foreign:
            raise CommandError(
                "; ".join(
                    f"{flag}: not a setting of {spec.label} (it is for {', '.join(_labels(flags[flag]))})"
                    for flag in foreign
                )
            )
        settings, secrets = {}, {}
        for flag, value in given.items():
            entry = flags[flag]
            (secrets if entry.secret else settings)[entry.names[kind]] = value
        # The flag of each of this kind's names, for the errors.
        names = {entry.names[kind]: flag for flag, entry in flags.items() if kind in entry.names}
        sync_every = options.get("sync_every")
        try:
            connection, created = connection_upsert(
                name=options["name"],
                kind=kind,
                settings=settings,
                secrets=secrets,
                sync_every_minutes=(sync_every or None) if sync_every is not None else None,
                is_active=False if options["inactive"] else None,
            )
        except ValidationError as exc:
            flag_of = {**COMMON_FLAGS, **names}
            if hasattr(exc, "error_dict"):
                detail = "; ".join(
                    f"{flag_of.get(key, key)}: {' '.join(errors).rstrip('.')}"
                    if key != "__all__"
                    else " ".join(errors).rstrip(".")
                    for key, errors in exc.message_dict.items()
                )
            else:
                detail = " ".join(exc.messages)
            raise CommandError(detail) from None
        verb = "Created" if created else "Updated"
        self.stdout.write(
            f"{verb} connection {connection.name!r} (id {connection.pk}, {connection.get_kind_display()})."
        )


def _labels(entry: VendorFlag) -> list[str]:
    specs = vendor_specs()
    return [specs[kind].label for kind in entry.names]

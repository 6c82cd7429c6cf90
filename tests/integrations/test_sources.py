"""Vendor sources and wire modules are plain Python: no Django, no model, no database."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULES = [
    "integrations.sources",
    "integrations.qstomizer.source",
    "integrations.qstomizer.wire",
    "integrations.mycustomizer.source",
    "integrations.mycustomizer.wire",
]


def test_sources_and_wire_modules_import_neither_django_nor_the_apps():
    code = (
        "import importlib, sys\n"
        f"for name in {MODULES!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'orders', 'fulfilment')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"

"""Production imports no sandbox and no demo: its INSTALLED_APPS, its URLconf, its Celery tasks and
its management commands, loaded in a fresh interpreter as a production process would."""

import json
import subprocess
import sys

from tests.config.test_deploy import ROOT, production_env

LOAD = """
import json, sys
import django
django.setup()
from django.conf import settings
from django.core.management import get_commands, load_command_class
from django.urls import get_resolver

get_resolver().reverse_dict  # the whole URLconf, every include
for name, app in get_commands().items():
    load_command_class(app, name)
from config.celery import app
app.loader.import_default_modules()  # what a worker imports: every app's tasks
print(json.dumps({
    "apps": list(settings.INSTALLED_APPS),
    "modules": sorted(m for m in sys.modules if "sandbox" in m or "demo" in m),
    "tasks": sorted(app.tasks),
    "urls": sorted(str(p.pattern) for p in get_resolver().url_patterns),
}))
"""


def load(env):
    result = subprocess.run(
        [sys.executable, "-c", LOAD], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_imports_no_sandbox_module_and_registers_no_demo_task(tmp_path):
    loaded = load(production_env(tmp_path))

    assert not [app for app in loaded["apps"] if "sandbox" in app]
    assert loaded["modules"] == []
    assert not [task for task in loaded["tasks"] if "demo" in task or "sandbox" in task]
    assert "fulfilment.tasks.fulfilment_order_send_task" in loaded["tasks"]  # the tasks were loaded
    assert not [url for url in loaded["urls"] if "sandbox" in url]


def test_the_same_load_under_the_local_settings_finds_the_sandbox_and_the_demo(tmp_path):
    # The check above can fail: in development the same load imports the simulators and the demo.
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE="config.settings.local")
    env.pop("DATABASE_URL")
    env.pop("CELERY_BROKER_URL")

    loaded = load(env)

    assert "integrations.sandbox" in loaded["apps"]
    assert {"integrations.qstomizer.sandbox", "integrations.custom_gateway.sandbox"} <= set(loaded["modules"])
    assert "integrations.sandbox.tasks.demo_fulfilment_task" in loaded["tasks"]

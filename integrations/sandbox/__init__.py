"""Development only: the vendor simulators' mounting, the demo and `bootstrap_demo`.

Installed in `config/settings/local.py` and `test.py` only (INSTALLED_APPS), never in
production: production code imports nothing from here, nor any vendor's `sandbox` module, and a
production worker registers no demo task (tests/config/test_production_imports.py checks it).

Each vendor keeps its simulator in its own package (`integrations/<vendor>/sandbox.py`, named by
`spec.sandbox`), so that a new vendor is one package. This app mounts every registered vendor's
simulator at /sandbox/<spec.slug>/ (`urls.py`), serves them over HTTP for tests and benchmarks
(`server.py`), and builds the demo from the registry (`demo.py`).

A vendor's sandbox module offers, besides its `urlpatterns`:

- `demo_connection(origin, kind) -> {"settings": {...}, "secrets": {...}} | None`: the settings
  and secrets (names as in the spec) of a demo connection of `kind` pointing at the simulator
  served from `origin`; None when the demo makes no connection of that kind;
- for a fulfilment partner, `demo_order_progress(origin, external_ref, step)` (the vendor moves
  the demo's `step`-th order along) and `demo_push(origin, config, push_url)` (the vendor pushes an
  order to us);
- for a customizer, optionally `DEMO_SKIP_TEMPLATES`: templates whose print files fail preflight,
  which the demo does not send.
"""

"""Smartlink URLs from the doc's parameters (custom-gateway-api.txt, "Smartlink guide")."""

from dataclasses import replace

import pytest

from integrations.custom_gateway.smartlinks import (
    DEFAULT_DESIGNER_URL,
    SAVE_CALLBACK_PARAM,
    Smartlink,
    SmartlinkInvalid,
    new_mei,
    origin_of,
    saved_design_reload_url,
    smartlink_check,
    smartlink_snippet,
    smartlink_url,
)
from integrations.custom_gateway.spec import SPEC
from integrations.registry import Capability

# The doc's bare-bones example: acp3_2, en_GB, default, p=1007644, r=2d-canvas, guid.
DOC = Smartlink(
    designer_url="https://g3d-app.com",
    app="acp3_2",
    locale="en_GB",
    configuration="default",
    product_id="1007644",
    renderer="2d-canvas",
    company_ref_id="99999",
)


def test_the_docs_example_url():
    assert smartlink_url(DOC) == "https://g3d-app.com/s/app/acp3_2/en_GB/default.html#p=1007644&r=2d-canvas&guid=99999"


def test_add_to_cart_by_post_message_as_the_docs_sample_builds_it():
    link = replace(DOC, add_to_cart=True, meo="https://shop.example", mei="a1b2c3")
    # The sample: iframeUrl + "&a2c=postMessage" then "&meo=" + location.origin + "&mei=" + mei.
    assert smartlink_url(link) == (
        "https://g3d-app.com/s/app/acp3_2/en_GB/default.html"
        "#p=1007644&r=2d-canvas&guid=99999&a2c=postMessage&meo=https://shop.example&mei=a1b2c3"
    )


def test_print_job_saved_design_and_save_callback_are_fragment_parameters():
    assert smartlink_url(replace(DOC, print_job_ref="PJ123")).endswith("&guid=99999&pj=PJ123")
    assert smartlink_url(replace(DOC, saved_design_ref="44EEEA752F59C3A3B1")).endswith("&ps=44EEEA752F59C3A3B1")
    url = smartlink_url(replace(DOC, save_callback_url="https://bo.example/hooks/cg/tok/designs/?a=1&b=2"))
    # The callback's own & ? = are escaped so they cannot end the parameter.
    assert url.endswith(f"&{SAVE_CALLBACK_PARAM}=https://bo.example/hooks/cg/tok/designs/%3Fa%3D1%26b%3D2")


def test_renderers_are_the_docs_three():
    for renderer in ("2d-canvas", "webgl", "multi"):
        assert f"&r={renderer}&" in smartlink_url(replace(DOC, renderer=renderer))
    with pytest.raises(SmartlinkInvalid) as caught:
        smartlink_url(replace(DOC, renderer="flash"))
    assert caught.value.field == "renderer" and "2d-canvas, webgl, multi" in str(caught.value)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"app": "../admin"}, "app"),
        ({"locale": "en GB"}, "locale"),
        ({"configuration": ""}, "configuration"),
        ({"product_id": "10076x"}, "product_id"),
        ({"company_ref_id": ""}, "company_ref_id"),
        ({"add_to_cart": True, "meo": "https://shop.example"}, "mei"),
        ({"add_to_cart": True, "meo": "https://shop.example/path", "mei": "x1"}, "meo"),
        ({"meo": "https://shop.example", "mei": "x1"}, "add_to_cart"),
        ({"print_job_ref": "a&b=c"}, "print_job_ref"),
        ({"print_job_ref": "PJ1", "saved_design_ref": "PS1"}, "saved_design_ref"),
        ({"designer_url": "javascript:alert(1)"}, "designer_url"),
        ({"save_callback_url": "ftp://x"}, "designer_url"),
    ],
)
def test_a_parameter_the_url_cannot_carry_is_refused_in_words(change, field):
    with pytest.raises(SmartlinkInvalid) as caught:
        smartlink_check(replace(DOC, **change))
    assert caught.value.field == field and str(caught.value)


def test_reload_a_saved_design_from_the_callbacks_created_from_and_ref():
    created_from = "https://g3d-app.com/s/app/acp3_2/en_GB/default.html#p=1007644&r=2d-canvas&guid=99999"
    assert saved_design_reload_url(created_from, "44EEEA752F59C3A3B1") == f"{created_from}&ps=44EEEA752F59C3A3B1"
    with pytest.raises(SmartlinkInvalid):
        saved_design_reload_url(created_from, "x&y")


def test_origin_of_is_what_a_browser_reports():
    assert origin_of("HTTPS://G3D-App.com:443/s/app/") == "https://g3d-app.com"
    assert origin_of("http://127.0.0.1:8001/sandbox/custom-gateway") == "http://127.0.0.1:8001"


def test_mei_is_random_per_call():
    assert new_mei() != new_mei() and len(new_mei()) == 16


def test_the_snippet_checks_origin_and_mei_and_handles_resize():
    snippet = smartlink_snippet(replace(DOC, add_to_cart=True, meo="https://x.example", mei="abc"))
    assert 'var iframeOrigin = "https://g3d-app.com";' in snippet
    # The link in the snippet carries no meo/mei: the shop's page adds its own.
    assert '"https://g3d-app.com/s/app/acp3_2/en_GB/default.html#p=1007644&r=2d-canvas&guid=99999&a2c=postMessage"' in (
        snippet
    )
    assert "e.origin !== iframeOrigin" in snippet and "!== mei" in snippet
    assert "IFRAME_RESIZE" in snippet and "ADD_TO_CART_CALLBACK" in snippet
    assert '"&meo=" + meo + "&mei=" + mei' in snippet


def test_the_snippet_cannot_be_broken_out_of_by_a_parameter():
    snippet = smartlink_snippet(replace(DOC, save_callback_url="https://bo.example/</script><b>"))
    assert "</script><b>" not in snippet


def test_custom_gateway_declares_smartlinks_with_a_designer_url_setting():
    assert SPEC.has(Capability.SMARTLINKS) and Capability.SMARTLINKS == "smartlinks"
    designer = {s.name: s for s in SPEC.settings}["designer_url"]
    assert designer.default == DEFAULT_DESIGNER_URL == "https://g3d-app.com" and not designer.required

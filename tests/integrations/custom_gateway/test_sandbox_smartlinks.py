"""The sandbox's fake Smartlink designer over HTTP (integrations/custom_gateway/sandbox_smartlinks.py)."""

import requests

from integrations.custom_gateway.smartlinks import SAVE_CALLBACK_PARAM


def test_the_designer_page_is_served_for_any_app_locale_and_configuration(sandbox_server):
    url = f"{sandbox_server.url}/sandbox/custom-gateway/s/app/acp3_2/en_GB/default.html"
    response = requests.get(url, timeout=5)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    page = response.text
    assert "ADD_TO_CART_CALLBACK" in page and "IFRAME_RESIZE" in page and "SAVE_CALLBACK" in page
    assert f'params["{SAVE_CALLBACK_PARAM}"]' in page
    # Like the real app: no message without both meo and mei, and only to meo.
    assert "if (!meo || !mei) { return false; }" in page and "parent.postMessage({id: mei" in page


def test_the_designer_refuses_odd_paths_and_serves_thumbnails(sandbox_server):
    base = f"{sandbox_server.url}/sandbox/custom-gateway/s"
    assert requests.get(f"{base}/app/acp3_2/en_GB/de%20fault.html", timeout=5).status_code == 404
    thumb = requests.get(f"{base}/thumb/44EEEA752F59C3A3B1.png?size=60", timeout=5)
    assert thumb.status_code == 200 and thumb.content.startswith(b"\x89PNG")

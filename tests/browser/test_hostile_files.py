"""In real Chromium: every URL that serves a stored vendor file, opened for each hostile file as
it would have been stored before files were sniffed (the vendor's Content-Type taken at its
word), runs no script: `window.__pwned` stays undefined and no dialog opens."""

import pytest

from tests.browser.staff import log_in
from tests.factories import StaffFactory
from tests.hostile import corpus, file_urls, stored_artwork, stored_label

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_no_hostile_file_runs_script_in_any_file_view(page, live_server):
    log_in(page, live_server, StaffFactory(is_superuser=True))
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    opened = 0
    for name, (content, claimed) in corpus().items():
        urls = file_urls(stored_artwork(content, claimed), stored_label(content, claimed))
        for url in urls:
            response = page.goto(live_server.url + url)
            assert response.status == 403, (name, url)
            assert page.evaluate("typeof window.__pwned") == "undefined", (name, url)
            assert "Not served: this stored file is" in page.inner_text("body")
            opened += 1
    assert opened == 3 * len(corpus())
    assert dialogs == []

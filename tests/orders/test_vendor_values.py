"""Vendor strings that reach markup are validated for their role, where they are stored (the
mappers keep the raw payload and store "") and where they are rendered (template filters)."""

import copy
import json
from pathlib import Path

import pytest
from django.template import Context, Template

from integrations.markup import css_colour, http_url
from integrations.mycustomizer.wire import design_record
from integrations.qstomizer.wire import customization_record, listed

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

HOSTILE_COLOURS = [
    "red; background:url(//evil.example/x)",
    "expression(alert(1))",
    "#fff;position:fixed",
    "rgb(1,2,3) url(x)",
    "rgb(calc(1),2,3)",
    "rgb(300, 0, 0)",
    "var(--x)",
    "#ggg",
    "url(javascript:alert(1))",
    '"><script>alert(1)</script>',
    "",
    None,
    42,
]
HOSTILE_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "  javascript:alert(1)",
    "\t\n javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "DATA:image/svg+xml;base64,PHN2Zz4=",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "/relative/path",
    "http://user:pw@host.example/",
    "https://user@host.example/",
    "file:///etc/passwd",
    "ftp://host.example/x",
    'https://host.example/"onerror=alert(1)',
    "http://",
    "",
    None,
]


@pytest.mark.parametrize("value", HOSTILE_COLOURS)
def test_hostile_colours_are_not_colours(value):
    assert css_colour(value) == ""


@pytest.mark.parametrize(
    ("value", "colour"),
    [("#FFF", "#fff"), ("#ffe599", "#ffe599"), ("#11223380", "#11223380"), ("rgb(1, 2, 3)", "rgb(1, 2, 3)")]
    + [("rgba(10,20,30,0.5)", "rgba(10,20,30,0.5)"), ("Navy", "navy"), (" rebeccapurple ", "rebeccapurple")],
)
def test_real_colours_are_kept(value, colour):
    assert css_colour(value) == colour


@pytest.mark.parametrize("value", HOSTILE_URLS)
def test_hostile_urls_are_not_urls(value):
    assert http_url(value) == ""


def test_real_urls_are_kept():
    assert http_url("https://cdn.example/a/b.png?x=1&y=2") == "https://cdn.example/a/b.png?x=1&y=2"
    assert http_url("http://127.0.0.1:8000/x") == "http://127.0.0.1:8000/x"
    assert http_url("https://cdn.example/my design.png") == "https://cdn.example/my%20design.png"


def qstomizer_detail():
    return copy.deepcopy(json.loads((FIXTURES / "qstomizer" / "order_detail.json").read_text())["body"]["data"])


@pytest.mark.parametrize("url", HOSTILE_URLS[:12])
@pytest.mark.parametrize("colour", HOSTILE_COLOURS[:5])
def test_qstomizer_mapper_stores_empty_for_hostile_values_and_keeps_the_raw(url, colour):
    data = qstomizer_detail()
    data["hex_color"] = colour
    side = data["sides"][0]
    side["image_url"] = side["design_png"] = side["design_hd_url"] = side["generator_tool"] = url
    for node in side["nodes"]:
        node["fill"] = node["stroke"] = colour
        node["hasStroke"] = True
        if node.get("type") == "image":
            node["src"] = node["originalFileUrl"] = url

    mapped = customization_record(listed(1, []), data)

    assert mapped.hex_color == ""
    side = mapped.sides[0]
    assert side.preview_url == side.design_url == side.print_file_url == side.generator_tool_url == ""
    assert side.raw["image_url"] == url  # what the vendor said is kept
    for node in mapped.sides[0].nodes:
        assert node.fill == node.stroke == node.image_url == ""
        assert node.raw["fill"] == colour


def test_qstomizer_mapper_keeps_real_values():
    mapped = customization_record(listed(1, []), qstomizer_detail())
    image, text = mapped.sides[0].nodes
    assert text.fill == "#ffe599" and image.image_url.startswith("https://cdn.bigvanet.com/")
    assert mapped.sides[0].preview_url.startswith("https://cdn.bigvanet.com/")


@pytest.mark.parametrize("url", HOSTILE_URLS[:12])
def test_kickflip_mapper_stores_empty_for_a_hostile_image_url(url):
    design = json.loads((FIXTURES / "kickflip" / "design.json").read_text())
    design["designImages"][0]["url"] = url

    mapped = design_record(design)

    assert mapped.sides[0].preview_url == mapped.sides[0].design_url == ""


@pytest.mark.parametrize("url", HOSTILE_URLS[:12])
@pytest.mark.parametrize("colour", HOSTILE_COLOURS[:4])
def test_template_filters_drop_hostile_values_stored_before(url, colour):
    template = Template("{% load vendor_values %}[{{ colour|css_colour }}][{{ url|http_url }}][{{ url|vendor_image }}]")
    assert template.render(Context({"colour": colour, "url": url})) == "[][][]"


@pytest.mark.django_db
def test_a_customization_page_with_hostile_values_stored_before_renders_none_of_them(client):
    from django.urls import reverse

    from orders.models import DesignNode
    from tests.factories import CustomizationFactory, NodeFactory, SideFactory, StaffFactory

    customization = CustomizationFactory(payload={})
    side = SideFactory(customization=customization, preview_url="javascript:alert(1)", design_url="data:text/html,x")
    NodeFactory(side=side, kind=DesignNode.Kind.TEXT, text="Hi", fill="red;background:url(//evil.co)")
    NodeFactory(side=side, kind=DesignNode.Kind.COLOUR, text="", value="expression(alert(1))")
    NodeFactory(side=side, kind=DesignNode.Kind.IMAGE, text="", image_url=" javascript:alert(2)")
    NodeFactory(side=side, kind=DesignNode.Kind.COLOUR, text="", value="Navy", fill="#123456")
    client.force_login(StaffFactory(is_superuser=True))

    page = client.get(reverse("admin:orders_customization_change", args=[customization.pk])).content.decode()
    sides = page[page.index('class="sides"') : page.index("Raw vendor payload")]

    assert "javascript:" not in sides and "data:text" not in sides and "evil.co" not in sides
    assert "style=" not in sides
    assert 'data-colour="navy"' in sides and 'data-colour="#123456"' in sides
    assert "The preview link is not an http(s) URL; not shown" in sides

"""Rendering details: the font is found at run time (WenQuanYi first), the page loads nothing but
its font and inline pictures, and the seal and dates print as people expect."""
import os

import pytest
from django.core.exceptions import ImproperlyConfigured

from certificates import fonts, rendering


@pytest.fixture
def fresh_font_lookup():
    fonts.cjk_font_path.cache_clear()
    yield
    fonts.cjk_font_path.cache_clear()


def test_the_fast_truetype_font_is_preferred(fresh_font_lookup):
    path = fonts.cjk_font_path()
    assert path.endswith((".ttc", ".ttf", ".otf"))
    wqy = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    if os.path.exists(wqy):
        assert path == wqy  # what `make` installs (fonts-wqy-microhei), even where Noto CJK is present


def test_a_configured_font_must_exist(fresh_font_lookup, settings):
    settings.CERT_FONT_PATH = "/nonexistent/font.ttf"
    with pytest.raises(ImproperlyConfigured, match="CERT_FONT_PATH"):
        fonts.cjk_font_path()


def test_the_page_fetches_only_its_font_and_inline_data():
    fetcher = rendering._url_fetcher()
    for url in ["file:///etc/passwd", "http://127.0.0.1:9/x.css", "https://example.com/a.png", "ftp://x/y"]:
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert fetcher.fetch(rendering.font_uri()) is not None


def test_a_hostile_name_cannot_pull_in_local_files():
    facts_html = '<img src="file:///etc/passwd"><link rel="stylesheet" href="file:///etc/hostname"><p>张三</p>'
    pdf = rendering.html_to_pdf(facts_html)
    assert pdf.startswith(b"%PDF-") and b"root:" not in pdf


def test_the_seal_spells_the_bureau_and_escapes_it():
    svg = str(rendering.seal_svg("湖南省<人社>厅"))
    assert svg.count("<text") == len("湖南省<人社>厅") + 2
    assert "&lt;" in svg and "<人" not in svg
    assert "电子签章" in svg and "★" in svg


def test_dates_print_without_leading_zeros():
    assert rendering.date_text("2024-06-03") == "2024年6月3日"

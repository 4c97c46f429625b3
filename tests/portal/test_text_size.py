"""大字模式 without a browser: the switch is a CSRF-protected POST form in every page's header, its
cookie is read by the server (so it works without JavaScript), and it only sends people back to
the portal's own pages. The browser test (tests/e2e/test_accessibility.py) measures the text."""
import pytest
from django.test import Client

from portal.views import LARGE_TEXT_MAX_AGE

pytestmark = pytest.mark.django_db


def switch_of(html):
    start = html.index('<form method="post" action="/text-size/"')
    return html[start:html.index("</form>", start)]


def test_every_page_header_has_the_switch_pressed_or_not(client):
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="zh-CN">' in html
    switch = switch_of(html)
    assert 'name="csrfmiddlewaretoken"' in switch
    assert 'name="next" value="/accounts/login/"' in switch
    assert 'value="1" class="link" aria-pressed="false">大字模式</button>' in switch

    client.cookies["large_text"] = "1"
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="zh-CN" class="large-text">' in html
    assert 'value="0" class="link" aria-pressed="true">大字模式</button>' in switch_of(html)


def test_the_switch_needs_the_csrf_token_and_a_post():
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/text-size/", {"large": "1"}).status_code == 403
    assert "large_text" not in strict.cookies
    assert strict.get("/text-size/").status_code == 405


def test_turning_it_on_and_off_goes_back_to_the_same_page(client):
    response = client.post("/text-size/", {"large": "1", "next": "/accounts/login/?next=/hours/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/hours/"
    cookie = response.cookies["large_text"]
    assert cookie.value == "1"
    assert cookie["max-age"] == LARGE_TEXT_MAX_AGE == 365 * 24 * 3600
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert 'class="large-text"' in client.get("/accounts/login/").content.decode()

    response = client.post("/text-size/", {"large": "0", "next": "/accounts/login/"})
    assert response["Location"] == "/accounts/login/"
    assert response.cookies["large_text"]["max-age"] == 0
    assert 'class="large-text"' not in client.get("/accounts/login/").content.decode()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", ""])
def test_it_never_redirects_off_the_portal(client, target):
    response = client.post("/text-size/", {"large": "1", "next": target})
    assert response["Location"] == "/"


def test_a_page_answering_a_post_offers_no_way_back_to_itself(client):
    """After a failed login (a POST), going back to the POST-only address would not work: home instead."""
    html = client.post("/accounts/login/", {"username": "", "password": ""}).content.decode()
    assert 'name="next"' not in switch_of(html)

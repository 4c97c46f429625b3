"""Reading the case page (办理) as a reviewer does: a refused decision comes back on the case page
after a redirect, with the errors in the panel."""
from urllib.parse import urlsplit

from django.urls import reverse


def case_url(d, source=None):
    from urllib.parse import urlencode

    return reverse("review:case", args=[d.pk]) + ("?" + urlencode({"from": source}) if source else "")


def check_lines(response):
    """The 校验规则 lines as shown: '✔ …' or '✘ …'."""
    return lines_of(response.context["checks"])


def lines_of(checks):
    return [f"{'✔' if c.ok else '✘'} {c.label}{'：' + c.detail if c.detail else ''}" for c in checks]


def refused(client, d, data, *, url=None):
    """POST a decision the form refuses: the browser is sent back to the case page (a reload sends
    nothing again), which shows the errors once. Returns that page."""
    response = client.post(url or case_url(d), data)
    assert response.status_code == 302, response.status_code
    location = urlsplit(response["Location"])
    assert location.path == reverse("review:case", args=[d.pk]) and location.fragment == "decision-errors", response["Location"]
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page.context["form"].errors
    return page

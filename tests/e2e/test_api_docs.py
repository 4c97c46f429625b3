"""The API reference page (/api/v1/docs) in a real browser: Swagger UI, from the portal's own files
under its Content-Security-Policy, draws the records endpoints; nothing is fetched from elsewhere."""
from pathlib import Path

import pytest

from tests.e2e.conftest import SCREENSHOTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = {"laptop": (1366, 900), "phone": (390, 844)}


@pytest.mark.parametrize("width", WIDTHS)
def test_swagger_ui_renders_the_endpoints_under_the_csp(browser, live_server, width):
    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h})
    page = context.new_page()
    problems, requested = [], []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requested.append(r.url))
    try:
        response = page.goto(f"{live_server.url}/api/v1/docs")
        assert response.status == 200
        page.wait_for_selector(".opblock", timeout=15_000)
        summaries = page.locator(".opblock-summary-path").all_inner_texts()
        assert "/api/v1/records" in summaries and any("{record_id}" in s for s in summaries), summaries
        assert page.locator(".opblock-summary-method").all_inner_texts().count("POST") == 1
        assert page.get_by_text("报送培训记录（每批至多1000条）").is_visible()
        assert page.locator(".btn.authorize").is_visible()  # the Bearer key
        assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
        assert all(url.startswith(live_server.url) or url.startswith("data:") for url in requested), requested
        folder = Path(SCREENSHOTS) / "api_docs"
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"docs-{width}.png"), full_page=False)
    finally:
        context.close()

"""Certificate PDFs: the facts as issued → HTML (templates/certificates/certificate_pdf.html) →
WeasyPrint, in a long-lived process that keeps its font configuration warm."""
import logging
import math
from pathlib import Path

import segno
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.template.loader import render_to_string

from .fonts import cjk_font_path

_font_config = None
_fetcher = None

# WeasyPrint reports each rendering step at INFO: seven log lines per certificate, and measurable
# time. Keep them out unless the logging settings ask for them.
_progress = logging.getLogger("weasyprint.progress")
if _progress.level == logging.NOTSET:
    _progress.setLevel(logging.WARNING)


def _fonts():
    global _font_config
    if _font_config is None:
        from weasyprint.text.fonts import FontConfiguration

        _font_config = FontConfiguration()
    return _font_config


def font_uri():
    return Path(cjk_font_path()).as_uri()


def _url_fetcher():
    """Fetches only inline data: URIs and the certificate font: nothing else on disk or the network,
    whatever a name or a unit's name might contain."""
    global _fetcher
    if _fetcher is None:
        from weasyprint.urls import URLFetcher

        font_url = font_uri()

        class CertificateFetcher(URLFetcher):
            def fetch(self, url, headers=None):
                if not (url.startswith("data:") or url == font_url):
                    raise ValueError(f"认定单不加载外部资源：{url[:80]}")
                return super().fetch(url, headers)

        _fetcher = CertificateFetcher(allowed_protocols={"file", "data"}, allow_redirects=False)
    return _fetcher


def qr_code(url):
    """The QR code of the verification URL (error correction M: survives a crease or a stamp)."""
    return segno.make(url, error="m", micro=False, boost_error=False)


def qr_svg_data_uri(url):
    return qr_code(url).svg_data_uri(scale=1, border=2, dark="#000", light="#fff")


def seal_svg(bureau_name):
    """The visible seal: the bureau's name around the top of a red ring, a star, 电子签章. Only a
    picture — the PAdES signature is what makes the file tamper-evident. Characters are placed
    one by one (WeasyPrint's SVG has no textPath)."""
    chars = list(bureau_name)[:24]
    n = max(len(chars), 1)
    span = min(250.0, 19.0 * n)
    start = -90 - span / 2
    size = 21 if n <= 14 else max(13, int(21 * 14 / n))
    letters = []
    for i, char in enumerate(chars):
        angle = start + span * (i + 0.5) / n
        x = 100 + 70 * math.cos(math.radians(angle))
        y = 100 + 70 * math.sin(math.radians(angle))
        letters.append(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="middle" dominant-baseline="central" '
            f'transform="rotate({angle + 90:.1f} {x:.1f} {y:.1f})">{escape(char)}</text>'
        )
    return mark_safe(
        '<svg class="seal" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" font-family="CertCJK" '
        'fill="#c81414" fill-opacity=".82" aria-hidden="true">'
        '<circle cx="100" cy="100" r="94" fill="none" stroke="#c81414" stroke-opacity=".82" stroke-width="5"/>'
        + "".join(letters)
        + '<text x="100" y="122" font-size="52" text-anchor="middle">★</text>'
        '<text x="100" y="162" font-size="17" text-anchor="middle">电子签章</text></svg>'
    )


def date_text(iso_date):
    """2024-06-03 → 2024年6月3日."""
    year, month, day = (int(part) for part in iso_date.split("-"))
    return f"{year}年{month}月{day}日"


def render_html(facts, *, number, verify_url):
    return render_to_string(
        "certificates/certificate_pdf.html",
        {
            "facts": facts,
            "number": number,
            "verify_url": verify_url,
            "qr": qr_svg_data_uri(verify_url),
            "issued_text": date_text(facts["issued_on"]),
            "seal": seal_svg(facts["bureau"]),
            "font_url": font_uri(),
        },
    )


def html_to_pdf(html):
    from weasyprint import HTML

    # No base_url: the page loads nothing but the font file it names and the inline QR code.
    return HTML(string=html, url_fetcher=_url_fetcher()).write_pdf(font_config=_fonts())


def render_pdf(facts, *, number, verify_url):
    return html_to_pdf(render_html(facts, number=number, verify_url=verify_url))

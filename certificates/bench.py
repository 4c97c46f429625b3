"""Certificate speed and size, for `make bench`:

    DJANGO_SETTINGS_MODULE=portal.settings.local .venv/bin/python -m certificates.bench

In one warm process it renders a five-year certificate (HTML → PDF → bureau seal) and a trivial
page, alternately, and prints the medians and the certificate's size, each on its own line. No
database is needed: the facts are a fixed sample, signed with the demo key of a sample bureau
(made under var/signing/ on first use). Targets: under 0.25 s and under 150 KB, with the Chinese
text extractable (checked with pdftotext when it is installed)."""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from types import SimpleNamespace

ROUNDS = int(os.environ.get("CERT_BENCH_ROUNDS", "20"))
TARGET_SECONDS = 0.25
TARGET_BYTES = 150 * 1024

SAMPLE_BUREAU = SimpleNamespace(pk=0, name="湖南省人力资源和社会保障厅", uscc="11430000006144358M")
NUMBER = "XS2024-7K3P-9QXM-2FD5"


def sample_facts():
    years = [
        {
            "year": year, "public": "30", "professional": professional, "total": str(30 + float(professional)).removesuffix(".0"),
            "months_away": 0, "required": {"public": "30", "professional": "60", "total": "90"},
            "compliant": float(professional) >= 60, "business_no": f"2024061300000{year - 2000:02d}", "approved_on": "2024-06-20",
        }
        for year, professional in zip(range(2019, 2024), ["64.5", "60", "72", "48", "90"])
    ]
    return {
        "title": "湖南省专业技术人员继续教育学时认定单", "region": "湖南省", "policy_name": "湖南省2024年继续教育学时折算细则",
        "requirement": {"public": "30", "professional": "60", "total": "90"},
        "name": "宋庆涛", "id_number_masked": "4301**********1015", "unit": "湖南省地质研究所", "unit_id": 0,
        "bureau": SAMPLE_BUREAU.name, "bureau_id": 0, "start_year": 2019, "end_year": 2023, "years": years,
        "totals": {"public": "150", "professional": "334.5", "total": "484.5"}, "compliant_years": 4, "year_count": 5,
        "number": NUMBER, "issued_on": "2024-06-03",
    }


TRIVIAL_PAGE = "<!DOCTYPE html><html><head><meta charset='utf-8'><title>t</title></head><body><p>Hello, world.</p></body></html>"


def extractable(pdf_bytes, expected):
    if not shutil.which("pdftotext"):
        return None
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf_bytes)
        handle.flush()
        text = subprocess.run(["pdftotext", "-layout", handle.name, "-"], capture_output=True, text=True, check=True).stdout
    return all(word in text for word in expected)


def main():
    import django

    django.setup()
    from certificates import fonts, rendering, signing

    facts = sample_facts()
    url = f"https://ggfw.example.cn/verify/{NUMBER}/"

    def certificate():
        pdf = rendering.render_pdf(facts, number=NUMBER, verify_url=url)
        return signing.sign_pdf(pdf, bureau=SAMPLE_BUREAU, reason=f"{facts['title']} {NUMBER}", location="湖南省")

    def trivial():
        return rendering.html_to_pdf(TRIVIAL_PAGE)

    signed = certificate()  # warm-up: fonts, templates, the signing key (made on first use)
    trivial()
    cert_times, trivial_times, render_times = [], [], []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        pdf = rendering.render_pdf(facts, number=NUMBER, verify_url=url)
        rendered = time.perf_counter()
        signed = signing.sign_pdf(pdf, bureau=SAMPLE_BUREAU, reason=f"{facts['title']} {NUMBER}", location="湖南省")
        done = time.perf_counter()
        cert_times.append(done - start)
        render_times.append(rendered - start)
        start = time.perf_counter()
        trivial()
        trivial_times.append(time.perf_counter() - start)

    median = statistics.median(cert_times)
    size = len(signed)
    ok_text = extractable(signed, ["湖南省专业技术人员继续教育学时认定单", "宋庆涛", "湖南省地质研究所", "334.5"])
    print(f"certificate render (HTML→PDF→seal), median of {ROUNDS}, warm: {median:.3f} s")
    print(f"trivial page render, median of {ROUNDS}, warm: {statistics.median(trivial_times):.3f} s")
    print(f"certificate file size: {size / 1024:.1f} KB ({size} bytes)")
    print(f"  of which HTML→PDF {statistics.median(render_times):.3f} s, seal {statistics.median(cert_times) - statistics.median(render_times):.3f} s; font {fonts.cjk_font_path()}")
    print(f"  Chinese text extractable (pdftotext): {'yes' if ok_text else 'NO' if ok_text is False else 'not checked (no pdftotext)'}")
    missed = []
    if median >= TARGET_SECONDS:
        missed.append(f"render ≥ {TARGET_SECONDS} s")
    if size >= TARGET_BYTES:
        missed.append(f"size ≥ {TARGET_BYTES // 1024} KB")
    if ok_text is False:
        missed.append("text not extractable")
    print(f"  targets (< {TARGET_SECONDS} s, < {TARGET_BYTES // 1024} KB, text extractable): {'met' if not missed else 'MISSED: ' + ', '.join(missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

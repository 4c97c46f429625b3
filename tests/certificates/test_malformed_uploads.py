"""The public verification upload fed every malformed file of tests/malformed_files.py: never a
server error, and a file that is not the issued one is said not to be, with the seal check
explaining why it could not be read. The file is only compared by its SHA-256 and its seal read,
so it is not held to the evidence uploads' rules (pages, pixels): a PDF that is not ours is simply
not the original."""
import json
import os
import resource
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from certificates.models import Certificate
from tests.helpers import text_of
from tests.malformed_files import malformed_imports, malformed_uploads

pytestmark = pytest.mark.django_db

CORPUS = malformed_uploads() + malformed_imports()
# What the seal line says of a file whose seal is not valid (certificates/signing.py SealCheck.summary).
SEAL_NOT_VALID = ("✘ 文件已损坏或不是有效的 PDF", "✘ 文件中未找到电子签章", "✘ 电子签章校验失败", "✘ 电子签章无法校验",
                  "✘ 电子签章本身完好，但签章后文件又被追加修改", "✘ 文件自签章后未被修改，但签章证书不是本平台信任的")


def post(client, url, label, name, content, content_type):
    response = client.post(url, {"file": SimpleUploadedFile(name, content, content_type=content_type)})
    assert response.status_code == 200, (label, response.status_code)
    return text_of(response)


@pytest.mark.parametrize("url", ["/verify/", "certificate"])
def test_no_malformed_file_gives_a_server_error_or_is_taken_for_a_certificate(client, song_certificate, settings, url):
    settings.CERT_RATE_LIMITS = {"upload": (10_000, 60)}
    url = f"/verify/{song_certificate.number}/" if url == "certificate" else url
    for label, name, content, content_type in CORPUS:
        text = post(client, url, label, name, content, content_type)
        if "文件查验结果" in text:  # looked like a PDF: compared by hash, its seal read
            result = text.split("文件查验结果", 1)[1]
            assert "真实有效" not in result, label
            assert "不是该认定单的原件" in result or "不是本平台出具的原件" in result, label
            assert any(s in result for s in SEAL_NOT_VALID) and "电子签章有效" not in result, label
        else:
            assert "只能上传 PDF 文件" in text or "文件是空的" in text, label
    assert Certificate.objects.count() == 1


SEAL_CHECK_IN_A_CHILD = """
import json, resource, sys, time
import django
django.setup()
from certificates.signing import check_seal
from tests.malformed_files import pdf_claiming_a_billion_objects
started = time.monotonic()
summary = check_seal(pdf_claiming_a_billion_objects()).summary
print(json.dumps({"summary": summary, "seconds": time.monotonic() - started,
                  "megabytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""


def test_a_tiny_pdf_claiming_a_billion_objects_does_not_take_the_worker_down():
    """The seal check read uploads leniently: pyHanko filled the thousand million missing
    cross-reference entries of a 184-byte upload with defaults, growing by gigabytes for minutes.
    It now reads strictly (every certificate we issue is written by pyHanko itself). Run in a child
    capped at 1 GB, so that a regression fails this test rather than the machine."""
    def cap_memory():
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    child = subprocess.run(
        [sys.executable, "-c", SEAL_CHECK_IN_A_CHILD], cwd=settings.BASE_DIR, preexec_fn=cap_memory, timeout=120,
        capture_output=True, text=True, env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.test"},
    )
    assert child.returncode == 0, child.stderr[-1000:]
    result = json.loads(child.stdout.strip().splitlines()[-1])
    assert result["summary"] == "文件已损坏或不是有效的 PDF，无法读取电子签章。"
    assert result["seconds"] < 5 and result["megabytes"] < 400, result

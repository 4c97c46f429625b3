"""The number grep (tests/security/masking.py) catches what it should and lets through what the
masking rules allow; and the pages that list other people show their numbers masked."""
import io
import logging

import pytest
from django.http import FileResponse, HttpResponse, JsonResponse
from django.test import RequestFactory
from django.urls import reverse

from tests.security.masking import _LogGrep, full_numbers, leaks

pytestmark = pytest.mark.django_db

SONG_ID, SONG_PHONE = "430121198805041015", "18899098765"


def answer(body, user, response_class=HttpResponse):
    response = response_class(body)
    response.wsgi_request = RequestFactory().get("/")
    response.wsgi_request.user = user
    return response


def test_full_numbers_are_found_and_masked_or_invalid_ones_are_not():
    assert full_numbers(f"<td>{SONG_ID}</td><td>{SONG_PHONE}</td>") == {SONG_ID, SONG_PHONE}
    assert full_numbers("43012119720808109x") == {"43012119720808109X"}
    assert full_numbers("4301**********1015 188****8765") == set()
    # A wrong check digit, a longer run of digits, a hash: not identity or mobile numbers.
    assert full_numbers("430121198805041016 4301211988050410150 18899098765123 a18899098765f") == set()


def test_a_page_showing_someone_elses_numbers_is_a_leak(world):
    stranger = world.users["city_clerk"]
    assert leaks(answer(f"<p>{SONG_ID} {SONG_PHONE}</p>", stranger), sent="") == {SONG_ID, SONG_PHONE}
    assert leaks(answer({"id": SONG_ID}, stranger, JsonResponse), sent="") == {SONG_ID}


def test_own_numbers_echoed_input_and_files_are_not(world):
    song = world.users["applicant"]
    assert leaks(answer(f"<input value='{SONG_ID}'><input value='{SONG_PHONE}'>", song), sent="") == set()
    assert leaks(answer(f"第3行：{SONG_ID} 不在名单中", world.users["province_clerk"]), sent=f"...{SONG_ID}...") == set()
    attachment = FileResponse(iter([SONG_ID.encode()]), as_attachment=True, filename="x.csv")
    attachment.wsgi_request = RequestFactory().get("/")
    assert leaks(attachment, sent="") == set()


def test_the_declarant_sees_neither_number_of_staff_they_declare_for(world):
    chen, zhao = world.users["unit_admin"], world.p.zhao
    assert leaks(answer(f"<input value='{zhao.phone}'>", chen), sent="") == {zhao.phone}
    assert leaks(answer(f"<td>{zhao.id_number}</td>", chen), sent="") == {zhao.id_number}
    assert leaks(answer(f"<input value='{zhao.phone}'>", world.users["city_clerk"]), sent="") == {zhao.phone}


def test_log_lines_with_full_numbers_are_caught():
    handler = _LogGrep()
    logger = logging.getLogger("tests.security.probe")
    logger.addHandler(handler)
    try:
        logger.warning("import refused for %s", SONG_ID)
        logger.warning("import refused for %s", "4301**********1015")
    finally:
        logger.removeHandler(handler)
    assert handler.lines == [f"tests.security.probe: import refused for {SONG_ID}"]


@pytest.mark.parametrize(
    "role, url_name, person, masked",
    [
        ("unit_admin", "accounts:membership_queue", "430121198810111372", "4301**********1372"),  # 何磊, waiting for the unit
        ("unit_admin", "review:unit_queue", "430121198511291051", "4301**********1051"),  # 赵金强's declaration
        ("province_clerk", "review:bureau_todo", "430121199002171064", "4301**********1064"),  # 李雪梅's
        ("unit_admin", "hours:proxy_list", "430121198511291051", "4301**********1051"),
    ],
)
def test_lists_of_other_people_show_their_numbers_masked(client, world, demo, role, url_name, person, masked):
    client.force_login(world.users[role])
    page = client.get(reverse(url_name)).content.decode()
    someone = demo.user(person)
    assert masked in page
    assert someone.id_number not in page and someone.phone not in page


def test_the_proxy_form_masks_the_staff_members_id_number(client, world):
    client.force_login(world.users["unit_admin"])
    page = client.get(reverse("hours:proxy_new", args=[world.p.zhao.pk])).content.decode()
    assert "4301**********1051" in page and "430121198511291051" not in page
    assert "18899098792" not in page and "188****8792" in page


def test_the_case_page_masks_the_applicants_numbers(client, world):
    client.force_login(world.users["province_clerk"])
    page = client.get(reverse("review:case", args=[world.bureau_case.pk])).content.decode()
    assert (world.bureau_case.id_number, world.bureau_case.phone) == ("430121199002171064", "18899098765")
    assert "430121199002171064" not in page and "18899098765" not in page
    assert "4301**********1064" in page and "188****8765" in page


def test_the_system_administrator_sees_accounts_in_full_in_the_admin_only(world):
    sysadmin = world.users["sysadmin"]
    in_admin = answer(f"<td>{SONG_ID}</td>", sysadmin)
    in_admin.wsgi_request = RequestFactory().get(reverse("admin:accounts_user_changelist"))
    in_admin.wsgi_request.user = sysadmin
    assert leaks(in_admin, sent="") == set()
    assert leaks(answer(f"<td>{SONG_ID}</td>", sysadmin), sent="") == {SONG_ID}


def test_log_lines_are_judged_as_the_projects_handlers_write_them():
    """core/logging.py masks numbers on every handler: what they write is what is grepped."""
    from core.logging import MaskPersonalNumbers

    writer = logging.StreamHandler(io.StringIO())
    writer.addFilter(MaskPersonalNumbers())
    handler = _LogGrep([writer])
    record = logging.LogRecord("tests.security.probe", logging.WARNING, __file__, 1, "import refused for %s", (SONG_ID,), None)
    handler.emit(record)
    assert handler.lines == []
    assert full_numbers(record.getMessage()) == set()  # the filter masked the record itself

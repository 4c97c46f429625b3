"""证件号码 as people type them: full-width digits and Ｘ from a Chinese input method, spaces, a
lower-case x. Wherever a number is taken (registration, login, the reviewers' filters, the unit's
staff search, imports) it is normalised (NFKC) so that it is stored once and matches again; a
number whose birth date cannot be a working professional's is refused with a Chinese message."""
import importlib
from datetime import date

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from stdnum.cn import ric

from accounts.models import User
from accounts.validators import normalize_id_number, normalize_login, validate_id_number
from hours.models import Declaration, ItemSource, TrainingRecord
from hours.selectors import proxy_staff
from tests.accounts.test_registration import REGISTER_URL, form_data
from tests.helpers import DEMO_PASSWORD, make_id_number, password_login, text_of
from tests.hours.fixtures_views import *  # noqa: F401,F403

FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


def full_width(number):
    return number.translate(FULL_WIDTH)


def number_born(born, serial="101"):
    body = f"430121{born:%Y%m%d}{serial}"
    return body + ric.calc_check_digit(body + "0")


# --- the validator and the normaliser --------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["４３０１２１１９７２０８０８１０９Ｘ", "４３０１２１１９７２０８０８１０９ｘ", "　43012119720808109x　", "430121 19720808 109X"],
)
def test_full_width_and_spaced_numbers_are_normalised(typed):
    assert normalize_id_number(typed) == "43012119720808109X"
    validate_id_number(typed)


def test_a_full_width_number_typed_to_sign_in_is_normalised():
    assert normalize_login("４３０１２１１９７２０８０８１０９ｘ") == "43012119720808109X"
    assert normalize_login("dzcl_admin") == "dzcl_admin"


def test_control_characters_in_a_number_are_refused_with_their_own_message():
    with pytest.raises(ValidationError) as caught:
        validate_id_number("4301211988050\x0041015")
    assert caught.value.messages == ["含有不可见的控制字符，请删除后重新输入（可先粘贴到记事本再复制）。"]


def test_the_normaliser_never_raises_for_look_ups():
    assert normalize_id_number("430121198805041015\x00") == "430121198805041015"
    assert normalize_id_number(None) == ""


@pytest.mark.parametrize(
    "born, message",
    [
        (date(2030, 1, 1), "证件号码中的出生日期（2030年1月1日）晚于今天，请核对后重新输入。"),
        (date(2021, 6, 1), "证件号码中的出生日期（2021年6月1日）表明年龄不满16周岁，请核对后重新输入。"),
        (date(1901, 3, 5), "证件号码中的出生日期（1901年3月5日）表明年龄已满100周岁，请核对后重新输入。"),
    ],
)
def test_a_birth_date_no_working_professional_can_have_is_refused(born, message):
    with pytest.raises(ValidationError) as caught:
        validate_id_number(number_born(born))
    assert caught.value.messages == [message]


def test_birth_dates_inside_the_window_pass():
    validate_id_number(number_born(date(1950, 1, 1)))
    validate_id_number(number_born(date(2005, 1, 1)))


# --- everywhere a number is taken --------------------------------------------------------------------


def test_registering_with_full_width_digits_stores_the_number_and_login_matches(demo, client):
    number = make_id_number()
    response = client.post(REGISTER_URL, form_data(id_number=full_width(number.lower())))
    assert response.status_code == 302, response.context["form"].errors
    user = User.objects.get(name="张晓明")
    assert (user.id_number, user.username) == (number, number)
    client.post(reverse("accounts:logout"))
    response = client.post(reverse("accounts:login"), {"username": full_width(number), "password": "Xueshi#2024"})
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")


def test_a_full_width_copy_of_a_registered_number_is_already_registered(demo, client):
    response = client.post(REGISTER_URL, form_data(id_number=full_width("430121198805041015")))
    assert response.context["form"].errors["id_number"] == ["该证件号码已注册，请直接登录；如忘记密码，请在登录页点击“忘记密码”找回。"]


def test_the_backend_finds_the_account_from_a_full_width_number(demo):
    assert password_login(Client(), full_width("430121198805041015"), DEMO_PASSWORD)


def test_the_reviewers_filter_matches_a_full_width_number(client, p):
    mine = submitted(p.zhao)
    client.force_login(p.chen)
    response = client.get(reverse("review:unit_queue"), {"id_number": full_width(p.zhao.id_number)})
    assert [d.pk for d in response.context["page"].object_list] == [mine.pk]


def test_the_proxy_staff_search_matches_a_full_width_number(p):
    assert [u.pk for u in proxy_staff(user=p.chen, query=full_width(p.zhao.id_number))] == [p.zhao.pk]


def test_an_imported_full_width_number_is_stored_normalised(client, p):
    from tests.hours.test_imports import csv_upload, post_import

    client.force_login(p.hn_clerk)
    response = post_import(client, csv_upload([f"{full_width(p.song.id_number)},宋庆涛,2023,全角导入的培训,公需科目,8,"]))
    assert response.context["report"].created == 1, text_of(response)
    assert TrainingRecord.objects.get(title="全角导入的培训").id_number == p.song.id_number


def test_the_admins_search_finds_an_account_by_a_full_width_number(client, demo):
    client.force_login(demo.account("sysadmin"))
    for url in (reverse("admin:accounts_user_changelist"), reverse("admin:accounts_membership_changelist")):
        response = client.get(url, {"q": full_width("430121198810111372")})
        assert response.status_code == 200
        assert response.context["cl"].result_count == 1, url


# --- numbers stored before normalisation --------------------------------------------------------------


def run_migrations():
    importlib.import_module("accounts.migrations.0002_normalise_id_numbers").normalise_id_numbers(apps, None)
    importlib.import_module("hours.migrations.0014_normalise_id_numbers").normalise_id_numbers(apps, None)


def test_the_migration_normalises_stored_numbers_and_reports_a_collision(p, capsys):
    song, zhao = p.song, p.zhao
    # As the portal stored them before: full-width, lower-case x, username = number as typed.
    User.objects.filter(pk=zhao.pk).update(id_number=full_width(zhao.id_number), username=full_width(zhao.id_number))
    d = draft(song)
    Declaration.objects.filter(pk=d.pk).update(id_number=full_width(song.id_number))
    TrainingRecord.objects.create(
        source=ItemSource.PLATFORM, id_number=full_width(song.id_number), name="宋庆涛", year=2023, title="全角", subject="public", hours=8
    )
    # The same person registered twice, once in full-width digits: not merged, reported.
    twin = User.objects.create(username="twin", name="宋庆涛", id_number=full_width(song.id_number))
    TrainingRecord.objects.create(
        source=ItemSource.PLATFORM, id_number=song.id_number, name="宋庆涛", year=2023, title="重复", subject="public", hours=8
    )
    TrainingRecord.objects.create(
        source=ItemSource.PLATFORM, id_number=full_width(song.id_number), name="宋庆涛", year=2023, title="重复", subject="public", hours=8
    )

    run_migrations()

    zhao.refresh_from_db()
    assert (zhao.id_number, zhao.username) == ("430121198511291051", "430121198511291051")
    assert Declaration.objects.get(pk=d.pk).id_number == song.id_number
    assert TrainingRecord.objects.get(title="全角").id_number == song.id_number
    twin.refresh_from_db()
    assert twin.id_number == full_width(song.id_number)  # left as it was: the clerk decides
    assert sorted(TrainingRecord.objects.filter(title="重复").values_list("id_number", flat=True)) == sorted(
        [song.id_number, full_width(song.id_number)]
    )
    out = capsys.readouterr().out
    assert f"用户 {twin.pk}（宋庆涛）的证件号码规范化后为 4301…1015，与用户 {song.pk} 的证件号码相同" in out
    duplicate = TrainingRecord.objects.get(title="重复", id_number=full_width(song.id_number))
    assert f"培训学时记录 {duplicate.pk}（2023年“重复”）的证件号码规范化后与记录" in out

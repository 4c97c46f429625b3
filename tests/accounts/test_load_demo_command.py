"""`manage.py load_demo` on an empty database, then again (kept apart from the modules that share a
loaded demo province)."""
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Membership, Organisation, RoleGrant, User

pytestmark = pytest.mark.django_db


def test_load_demo_command_twice_skips_the_second_time(db):
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "已载入演示数据：16 个机构，60 名专业技术人员，16 个管理账号，90 件学时申报。" in out.getvalue()
    counts = (Organisation.objects.count(), User.objects.count(), Membership.objects.count(), RoleGrant.objects.count())

    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "演示数据已存在，跳过。" in out.getvalue()
    assert counts == (Organisation.objects.count(), User.objects.count(), Membership.objects.count(), RoleGrant.objects.count())

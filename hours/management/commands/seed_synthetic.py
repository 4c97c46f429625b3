"""`python manage.py seed_synthetic --declarations N [--units U] [--seed S] [--batch-size B]`

A synthetic province at benchmark scale: one provincial HR bureau with the city bureaus below it,
supervising departments, units (up to three levels deep) of every nature, one administrator per
unit and department, clerks per bureau, professionals with valid and unique 身份证号码 and mobile
numbers, confirmed memberships, and N declarations spread over every review state with their year
records, training items and review steps.

Speed comes from writing rows the way no service would: organisations get their treebeard paths
computed here (steplen 4, alphabet 0-9A-Z) instead of one add_child per row; rows are written in
batches of B declarations, one transaction per batch, with no save() and no signals (COPY on
PostgreSQL, bulk_create elsewhere, see Writer); all accounts share one precomputed hash of the demo
password. The state field is protected, which only forbids changing it on a loaded instance; rows
written here carry their state from the start. The steps are the ones review/workflow.py would have
recorded for the same history, and the fields it sets (current_org, waiting_since, decided_at,
rejection_reason, pledged_at) agree with them.

Re-running adds another province: credit codes, ID numbers and phone numbers are checked against
the ones already stored, staff usernames carry a run number (syn1-, syn2-, ...), tree roots start
after the last existing root, and business numbers follow hours/services.py (creation day + the
declaration's id), so nothing clashes with earlier runs or with the demo.
"""
import functools
import json
import math
import random
import re
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import CharField, Max, Value
from django.db.models.functions import Cast, Concat, ExtractDay, ExtractMonth, ExtractYear, LPad
from django.utils import timezone
from stdnum.cn import ric
from stdnum.cn import uscc as uscc_std

from accounts.models import (
    Education,
    Membership,
    MembershipStatus,
    Nature,
    Organisation,
    OrganisationKind,
    Role,
    RoleGrant,
    User,
)
from hours.models import Declaration, Item, RuleSet, YearRecord
from workflow.models import Action, State
from hours.models import ReviewStep

PASSWORD = "Demo@2024"
RULE_SET_CODE = "hunan-2024"
YEARS = range(2019, 2024)
WINDOW_DAYS = 60
INSERT_ROWS = 2000  # rows per INSERT statement (SQLite lowers it to fit its parameter limit)
PLEDGE = {"pledge": "本人承诺以上信息真实有效"}

# Share of declarations per state, in percent.
STATE_SHARES = [
    (State.DRAFT, 15),
    (State.UNIT_REVIEW, 25),
    (State.SUPERIOR_REVIEW, 15),
    (State.BUREAU_REVIEW, 25),
    (State.APPROVED, 15),
    (State.REJECTED, 5),
]

# 湖南省: the provincial level and its 14 cities / prefectures, with county codes of
# GB/T 2260 used for birthplaces in ID numbers and as the region part of credit codes.
PROVINCE = ("湖南省本级", "湖南省", "湖南", "430000")
CITIES = [
    ("长沙市", "长沙", "430100", {"430102": "芙蓉区", "430103": "天心区", "430104": "岳麓区", "430105": "开福区",
                               "430111": "雨花区", "430121": "长沙县", "430124": "宁乡县", "430181": "浏阳市"}),
    ("株洲市", "株洲", "430200", {"430202": "荷塘区", "430203": "芦淞区", "430204": "石峰区", "430221": "株洲县",
                               "430223": "攸县", "430224": "茶陵县", "430225": "炎陵县", "430281": "醴陵市"}),
    ("湘潭市", "湘潭", "430300", {"430302": "雨湖区", "430304": "岳塘区", "430321": "湘潭县", "430381": "湘乡市",
                               "430382": "韶山市"}),
    ("衡阳市", "衡阳", "430400", {"430421": "衡阳县", "430422": "衡南县", "430423": "衡山县", "430424": "衡东县",
                               "430426": "祁东县", "430481": "耒阳市", "430482": "常宁市"}),
    ("邵阳市", "邵阳", "430500", {"430502": "双清区", "430503": "大祥区", "430511": "北塔区", "430521": "邵东县",
                               "430522": "新邵县", "430524": "隆回县", "430525": "洞口县", "430581": "武冈市"}),
    ("岳阳市", "岳阳", "430600", {"430602": "岳阳楼区", "430603": "云溪区", "430611": "君山区", "430621": "岳阳县",
                               "430623": "华容县", "430624": "湘阴县", "430626": "平江县", "430681": "汨罗市"}),
    ("常德市", "常德", "430700", {"430702": "武陵区", "430703": "鼎城区", "430721": "安乡县", "430722": "汉寿县",
                               "430723": "澧县", "430725": "桃源县", "430726": "石门县", "430781": "津市市"}),
    ("张家界市", "张家界", "430800", {"430802": "永定区", "430811": "武陵源区", "430821": "慈利县", "430822": "桑植县"}),
    ("益阳市", "益阳", "430900", {"430902": "资阳区", "430903": "赫山区", "430921": "南县", "430922": "桃江县",
                               "430923": "安化县", "430981": "沅江市"}),
    ("郴州市", "郴州", "431000", {"431002": "北湖区", "431003": "苏仙区", "431021": "桂阳县", "431022": "宜章县",
                               "431023": "永兴县", "431028": "安仁县", "431081": "资兴市"}),
    ("永州市", "永州", "431100", {"431102": "零陵区", "431103": "冷水滩区", "431121": "祁阳县", "431122": "东安县",
                               "431124": "道县", "431126": "宁远县", "431127": "蓝山县"}),
    ("怀化市", "怀化", "431200", {"431202": "鹤城区", "431221": "中方县", "431222": "沅陵县", "431223": "辰溪县",
                               "431224": "溆浦县", "431225": "会同县", "431281": "洪江市"}),
    ("娄底市", "娄底", "431300", {"431302": "娄星区", "431321": "双峰县", "431322": "新化县", "431381": "冷水江市",
                               "431382": "涟源市"}),
    ("湘西土家族苗族自治州", "湘西", "433100", {"433101": "吉首市", "433122": "泸溪县", "433123": "凤凰县",
                                       "433124": "花垣县", "433125": "保靖县", "433126": "古丈县",
                                       "433127": "永顺县", "433130": "龙山县"}),
]
# Counties whose codes python-stdnum accepts for every birth year used here: the fallback
# birthplace when a county of the person's own city had another code in their birth year.
ALL_YEARS_COUNTIES = ["430121", "430122", "430221", "430321", "433122", "433123", "433124", "433125", "433126"]
REGION_WEIGHTS = [3.0, 2.0] + [1.0] * (len(CITIES) - 1)  # 省本级, 长沙, the other cities

INST, SOE, GOV = Nature.PUBLIC_INSTITUTION, Nature.STATE_OWNED, Nature.GOVERNMENT
# Supervising departments: (provincial name, city name, units as (name after the place, numbered?, nature),
# 申报大类, 子专业).
DEPARTMENTS = [
    ("教育厅", "教育局", [("中学", True, INST), ("职业中等专业学校", True, INST), ("教育科学研究院", False, INST)],
     "中小学教师", ["语文", "数学", "英语", "物理", "化学", "生物"]),
    ("卫生健康委员会", "卫生健康委员会", [("人民医院", True, INST), ("中医医院", False, INST),
                                    ("妇幼保健院", False, INST), ("疾病预防控制中心", False, INST)],
     "卫生技术", ["临床医学", "护理", "药学", "医学检验", "中医学", "公共卫生"]),
    ("自然资源厅", "自然资源和规划局", [("地质调查院", False, INST), ("测绘院", False, INST),
                                  ("国土空间规划研究院", False, INST)],
     "工程技术", ["地质勘查", "测绘工程", "国土空间规划"]),
    ("住房和城乡建设厅", "住房和城乡建设局", [("建筑设计院", False, INST), ("城市建设投资集团有限公司", False, SOE),
                                     ("建设工程质量检测中心", False, INST)],
     "工程技术", ["建筑工程", "市政工程", "工程造价", "给排水工程"]),
    ("交通运输厅", "交通运输局", [("公路事务中心", False, INST), ("交通规划勘察设计院", False, INST),
                             ("交通建设投资集团有限公司", False, SOE)],
     "工程技术", ["道路与桥梁工程", "交通运输规划", "港口航道工程"]),
    ("农业农村厅", "农业农村局", [("农业科学研究院", False, INST), ("农业技术推广中心", False, INST),
                             ("畜牧水产事务中心", False, INST)],
     "农业技术", ["农学", "畜牧兽医", "植物保护", "水产养殖"]),
    ("水利厅", "水利局", [("水利水电勘测设计院", False, INST), ("水文水资源勘测中心", False, INST)],
     "工程技术", ["水利水电工程", "水文与水资源", "农田水利"]),
    ("人民政府国有资产监督管理委员会", "国有资产监督管理委员会",
     [("建工集团有限公司", False, SOE), ("发展集团有限公司", False, SOE), ("能源投资集团有限公司", False, SOE)],
     "工程技术", ["建筑工程", "机械工程", "电气工程", "工商管理"]),
    ("科学技术厅", "科学技术局", [("科学技术信息研究所", False, INST), ("生产力促进中心", False, INST)],
     "自然科学研究", ["科技情报", "科技管理", "软件工程"]),
    ("文化和旅游厅", "文化旅游广电局", [("图书馆", False, INST), ("博物馆", False, INST), ("群众艺术馆", False, INST)],
     "文化艺术", ["图书资料", "文物博物", "群众文化"]),
    ("生态环境厅", "生态环境局", [("生态环境监测中心", False, INST), ("环境科学研究院", False, INST)],
     "工程技术", ["环境工程", "环境监测", "生态修复"]),
]
STANDALONE_PROFILE = ("工程技术", ["电子信息", "软件工程", "机械工程", "电气工程", "通信工程"])
BRANDS = ["恒信", "湘江", "华远", "鑫达", "博瑞", "天成", "中联", "远大", "楚天", "岳麓", "芙蓉", "麓谷", "金科",
          "长远", "新威", "华菱", "振湘", "星城", "潇湘", "洞庭"]
INDUSTRIES = ["科技", "建设工程", "医药", "信息技术", "新材料", "环保科技", "电子", "检测技术", "智能装备", "软件"]
SOCIETIES = ["工程师协会", "医学会", "建筑业协会", "软件行业协会", "会计学会", "农学会", "测绘地理信息学会"]
CENTRAL = [("中国电信股份有限公司", "分公司"), ("国网{province}电力有限公司", "供电分公司"),
           ("中国移动通信集团{province}有限公司", "分公司"), ("中国建设银行股份有限公司", "分行")]

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕丁任"
            "卢姚沈钟姜崔谭陆范汪廖石金贾夏付方邹熊白孟秦邱侯江尹薛段雷龙黎史陶贺毛郝顾龚邵万覃武戴严欧莫向易文")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玲建国志红海燕立新晓辉鹏飞宇浩然子轩欣怡雨婷思远"
         "佳琪俊文博涵嘉瑶梓萱一鸣晨阳梦琪亚男金凤春梅德胜少华永清")
ETHNICITY_WEIGHTS = {"汉族": 880, "土家族": 40, "苗族": 30, "侗族": 20, "瑶族": 15, "白族": 5, "回族": 5, "壮族": 5}
EDUCATION_WEIGHTS = {Education.DOCTOR: 3, Education.MASTER: 20, Education.BACHELOR: 55, Education.COLLEGE: 18,
                     Education.SECONDARY: 3, Education.HIGH_SCHOOL: 1}
TITLES = {"助理级": 30, "中级": 40, "副高级": 22, "正高级": 8}
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155",
                   "156", "157", "158", "159", "166", "173", "176", "177", "180", "181", "182", "185", "186", "187",
                   "188", "189", "191", "198", "199"]
PUBLIC_THEMES = ["数字经济与创新驱动", "习近平新时代中国特色社会主义思想", "乡村振兴战略", "知识产权保护",
                 "职业道德与诚信建设", "心理健康与压力管理", "法治政府建设"]
PROFESSIONAL_FORMS = ["专业技术人员高级研修班", "新技术新方法培训班", "继续教育进修班", "专业能力提升培训班"]
REJECT_REASONS = [
    "结业证书与培训通知不一致，请重新上传清晰的结业证书。",
    "培训天数与培训日程安排不符，请核对后重新填报。",
    "公需科目学时未达到年度要求，请补充后再提交。",
    "佐证材料缺少加盖公章的培训通知。",
    "所报培训不属于本专业范围，请按规定填报专业科目。",
    "签到表无本人签名，请补充其他签到形式。",
]
UNIT_OPINIONS = ["情况属实，同意上报。", "经核实，材料齐全，同意。", "同意。"]
SUPERIOR_OPINIONS = ["同意。", "经审核，同意上报。", "材料齐全，同意。"]
BUREAU_OPINIONS = ["审核通过。", "符合继续教育学时要求，予以认定。", "同意认定。"]

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code
CN_DIGITS = "零一二三四五六七八九"


def cn_ordinal(n):
    """1 → 一, 12 → 十二, 20 → 二十, 35 → 三十五 (up to 99)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return CN_DIGITS[ones]
    return f"{'' if tens == 1 else CN_DIGITS[tens]}十{CN_DIGITS[ones] if ones else ''}"


def id_number(body17):
    """GB 11643-1999: the 18th character is the check of the first 17 digits."""
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, ID_WEIGHTS)) % 11]


def organisation_code(body8):
    """GB 11714: eight digits or letters and their check character."""
    check = 11 - sum(int(c, 36) * w for c, w in zip(body8, ORG_CODE_WEIGHTS)) % 11
    return body8 + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(prefix2, region, body8):
    """GB 32100-2015: authority and kind, region, organisation code, check character."""
    code17 = f"{prefix2}{region}{organisation_code(body8)}"
    return code17 + uscc_std.calc_check_digit(code17)


@functools.lru_cache(maxsize=None)
def county_valid_in(code, year):
    """Whether python-stdnum accepts `code` as the birthplace of someone born in `year`."""
    probe = f"{code}{year}0101001"
    try:
        ric.validate(id_number(probe))
    except Exception:  # noqa: BLE001 - stdnum raises KeyError, not a ValidationError, for some codes
        return False
    return True


def shares(total, weights):
    """Split `total` by `weights` into integers that add up to `total` (largest remainder)."""
    raw = [total * w / sum(weights) for w in weights]
    counts = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)[: total - sum(counts)]:
        counts[i] += 1
    return counts


@contextmanager
def explicit_timestamps(*fields):
    """Let bulk_create write the creation times given here instead of now() (auto_now/auto_now_add)."""
    saved = [(field, field.auto_now, field.auto_now_add) for field in fields]
    for field, _, _ in saved:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


class Writer:
    """Inserts rows given as dicts of attribute names, creation times included as given.

    On PostgreSQL the rows are streamed with COPY (psycopg 3), which is several times faster than
    a multi-row INSERT for the million-row tables; ids that children need are taken from the
    table's sequence first, so they are known before the rows are written. Elsewhere (SQLite) the
    rows go through bulk_create, which returns the ids."""

    def __init__(self, now):
        self.now = now
        self.copy = connection.vendor == "postgresql"

    def reserve_ids(self, model, rows):
        """PostgreSQL: take ids for the rows from the table's sequence and put them in the rows."""
        if not self.copy or not rows:
            return None
        pk = model._meta.pk
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [model._meta.db_table, pk.column, len(rows)])
            ids = [value for (value,) in cursor.fetchall()]
        for row, value in zip(rows, ids):
            row[pk.attname] = value
        return ids

    def insert(self, model, rows, *, ids=False):
        """Write the rows; with ids=True return their ids, in order."""
        if not rows:
            return []
        stamps = [f for f in model._meta.concrete_fields
                  if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
        for row in rows:
            for field in stamps:
                row.setdefault(field.attname, self.now)
        if not self.copy:
            objs = [model(**row) for row in rows]
            with explicit_timestamps(*stamps):
                model.objects.bulk_create(objs, batch_size=INSERT_ROWS)
            return [obj.pk for obj in objs]
        pk = model._meta.pk
        if ids and pk.attname not in rows[0]:
            self.reserve_ids(model, rows)
        fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.attname in rows[0]]
        names = [f.attname for f in fields]
        defaults = [f.get_default() for f in fields]
        json_at = [i for i, f in enumerate(fields) if f.get_internal_type() == "JSONField"]
        qn = connection.ops.quote_name
        sql = f"COPY {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                values = [row.get(name, default) for name, default in zip(names, defaults)]
                for i in json_at:
                    values[i] = json.dumps(values[i], ensure_ascii=False)
                copy.write_row(values)
        return [row[pk.attname] for row in rows] if ids else []

    def analyze(self, *models):
        """VACUUM ANALYZE what was written, as autovacuum would soon: fresh statistics for the planner,
        and a visibility map so the queues' COUNTs are index-only scans (without it, 40 ms instead of
        3 ms on a million declarations). VACUUM cannot run inside a transaction."""
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
        with connection.cursor() as cursor:
            cursor.execute(("VACUUM ANALYZE " if connection.get_autocommit() else "ANALYZE ") + tables)


class UnitInfo:
    """What declarations need to know about a unit: where it climbs, and who acts at each level."""

    __slots__ = ("org", "region", "bureau", "superiors", "admin", "category", "specialties")  # admin: a user id

    def __init__(self, org, region, bureau, superiors, category, specialties):
        self.org, self.region, self.bureau, self.superiors = org, region, bureau, superiors
        self.category, self.specialties = category, specialties
        self.admin = None


class Seeder:
    """Builds one synthetic province; `run()` does it all and leaves the counts in `counts`."""

    def __init__(self, *, declarations, units, seed, batch_size, write):
        self.n = declarations
        self.units_wanted = units
        self.rng = random.Random(seed)
        self.batch_size = batch_size
        self.write = write
        self.now = timezone.now()
        self.counts = Counter()
        self.started = time.monotonic()

    def elapsed(self):
        return time.monotonic() - self.started

    # -- identifiers, unique against what is stored ---------------------------------------------

    def load_taken(self):
        self.taken_ids = set(User.objects.exclude(id_number=None).values_list("id_number", flat=True))
        self.taken_usernames = set(User.objects.values_list("username", flat=True))
        self.taken_phones = set(User.objects.exclude(phone="").values_list("phone", flat=True))
        self.taken_phones |= set(Organisation.objects.exclude(contact_phone="").values_list("contact_phone", flat=True))
        self.taken_usccs = set(Organisation.objects.values_list("uscc", flat=True))
        runs = [int(m.group(1)) for m in map(re.compile(r"^syn(\d+)-").match, self.taken_usernames) if m]
        self.run = max(runs, default=0) + 1
        last_root = Organisation.objects.filter(depth=1).aggregate(last=Max("path"))["last"]
        self.next_root = Organisation._str2int(last_root) + 1 if last_root else 1

    def new_phone(self):
        while True:
            phone = f"{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}"
            if phone not in self.taken_phones:
                self.taken_phones.add(phone)
                return phone

    def new_id_number(self, counties):
        rng = self.rng
        while True:
            born = date(1963, 1, 1) + timedelta(days=int(rng.triangular(0, 36 * 365, 20 * 365)))
            valid = [c for c in counties if county_valid_in(c, born.year)] or ALL_YEARS_COUNTIES
            number = id_number(f"{rng.choice(valid)}{born:%Y%m%d}{rng.randrange(1000):03d}")
            if number not in self.taken_ids and number not in self.taken_usernames:
                self.taken_ids.add(number)
                return number

    def new_uscc(self, nature, kind, region):
        if kind in (OrganisationKind.BUREAU, OrganisationKind.DEPARTMENT) or nature == Nature.GOVERNMENT:
            prefix = "11"
        elif nature == Nature.PUBLIC_INSTITUTION:
            prefix = "12"
        elif nature == Nature.SOCIAL:
            prefix = self.rng.choice(["51", "52"])
        else:
            prefix = "91"
        while True:
            if prefix == "91" and self.rng.random() < 0.5:  # newer codes: MA + six characters
                body = "MA" + "".join(self.rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(6))
            else:
                body = f"{self.rng.randrange(10**8):08d}"
            code = credit_code(prefix, region, body)
            if code not in self.taken_usccs:
                self.taken_usccs.add(code)
                return code

    def new_name(self):
        rng = self.rng
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        return rng.choice(SURNAMES) + given

    # -- organisations ---------------------------------------------------------------------------

    def build_organisations(self):
        """The tree in memory, with paths computed here, then two bulk inserts (bureaus first)."""
        rng = self.rng
        regions = [PROVINCE + ({},)] + [(label, label, short, code, counties)
                                        for label, short, code, counties in CITIES]
        per_region = shares(self.units_wanted, REGION_WEIGHTS)
        nodes = []  # (organisation, parent organisation or None), parents before children
        contacts = {}  # id(organisation) → (name, phone) of its administrator
        used_names = set()

        def node(parent, *, uscc_region, **fields):
            name, phone = self.new_name(), self.new_phone()
            org = Organisation(contact_name=name, contact_phone=phone, **fields)
            org.uscc = self.new_uscc(org.nature, org.kind, uscc_region)
            nodes.append((org, parent))
            contacts[id(org)] = (name, phone)
            used_names.add(org.name)
            return org

        def unique(make):
            for k in range(1, 100):
                name = make(k)
                if name not in used_names:
                    return name
            return f"{make(1)}（{len(used_names)}）"

        province = node(None, name=f"{PROVINCE[1]}人力资源和社会保障厅", kind=OrganisationKind.BUREAU,
                        nature=GOV, region=PROVINCE[0], uscc_region=PROVINCE[3])
        bureaus = [province] + [
            node(province, name=f"{label}人力资源和社会保障局", kind=OrganisationKind.BUREAU, nature=GOV,
                 region=label, uscc_region=code)
            for label, _, code, _ in CITIES
        ]
        self.units, self.departments = [], []
        self.bureaus = bureaus
        self.region_counties = {}
        all_counties = [c for _, _, _, counties in CITIES for c in counties]
        for (label, place, short, code, counties), bureau, u in zip(regions, bureaus, per_region):
            self.region_counties[label] = list(counties) or all_counties
            places = [(place, code)] + list(((name, c) for c, name in counties.items()))
            standalone, third = int(u * 0.1), int(u * 0.2)
            second = u - standalone - third
            dept_count = min(len(DEPARTMENTS), max(1, math.ceil(second / 15))) if second else 0
            level_two = []
            for spec in rng.sample(DEPARTMENTS, dept_count):
                provincial_name, city_name, templates, category, specialties = spec
                dept_name = f"{place}{provincial_name}" if bureau is province else f"{place}{city_name}"
                dept = node(None, name=unique(lambda k: dept_name if k == 1 else f"{dept_name}（{cn_ordinal(k)}）"),
                            kind=OrganisationKind.DEPARTMENT, nature=GOV, bureau=bureau, region=label,
                            uscc_region=code)
                level_two.append((dept, spec))
            for i in range(second):
                dept, spec = level_two[i % dept_count] if i < dept_count else rng.choice(level_two)
                suffix, numbered, nature = rng.choice(spec[2])
                at, at_code = places[0] if rng.random() < 0.5 else rng.choice(places)
                name = unique(lambda k: f"{at}第{cn_ordinal(k)}{suffix}" if numbered or k > 1 else f"{at}{suffix}")
                org = node(dept, name=name, kind=OrganisationKind.UNIT, nature=nature, bureau=bureau, region=label,
                           uscc_region=at_code)
                self.units.append(UnitInfo(org, label, bureau, [dept], spec[3], spec[4]))
            parents = self.units[-second:] if second else []
            parents = rng.sample(parents, min(len(parents), third // 3 + 1)) if third else []
            for _ in range(third):
                parent = rng.choice(parents)
                if parent.org.nature == SOE:
                    base = parent.org.name.removesuffix("有限公司")
                    make = lambda k, base=base: f"{base}第{cn_ordinal(k)}分公司"  # noqa: E731
                else:
                    make = lambda k, parent=parent: f"{parent.org.name}第{cn_ordinal(k)}分院"  # noqa: E731
                org = node(parent.org, name=unique(make), kind=OrganisationKind.UNIT, nature=parent.org.nature,
                           bureau=bureau, region=label, uscc_region=parent.org.uscc[2:8])
                self.units.append(UnitInfo(org, label, bureau, [parent.org] + parent.superiors, parent.category,
                                           parent.specialties))
            for _ in range(standalone):
                at, at_code = rng.choice(places)
                roll = rng.random()
                if roll < 0.6:
                    nature = Nature.NON_PUBLIC
                    make = lambda k, at=at: f"{at}{rng.choice(BRANDS)}{rng.choice(INDUSTRIES)}有限公司"  # noqa: E731
                elif roll < 0.8:
                    nature = Nature.SOCIAL
                    make = lambda k, at=at: f"{at}{rng.choice(SOCIETIES)}"  # noqa: E731
                else:
                    nature = Nature.CENTRAL
                    company, branch = rng.choice(CENTRAL)
                    company = company.format(province=PROVINCE[1])
                    make = lambda k, company=company, branch=branch: (  # noqa: E731
                        f"{company}{short}{'' if k == 1 else cn_ordinal(k)}{branch}")
                org = node(None, name=unique(make), kind=OrganisationKind.UNIT, nature=nature, bureau=bureau,
                           region=label, uscc_region=at_code)
                self.units.append(UnitInfo(org, label, bureau, [], *STANDALONE_PROFILE))
            self.departments += [dept for dept, _ in level_two]

        children = Counter()
        for org, parent in nodes:
            if parent is None:
                org.depth, position = 1, self.next_root
                self.next_root += 1
            else:
                children[id(parent)] += 1
                org.depth, position = parent.depth + 1, children[id(parent)]
            org.path = Organisation._get_path(parent.path if parent else None, org.depth, position)
        for org, _ in nodes:
            org.numchild = children[id(org)]

        with transaction.atomic():
            Organisation.objects.bulk_create(bureaus, batch_size=INSERT_ROWS)
            # bulk_create takes the bureaus' new ids from the related objects.
            Organisation.objects.bulk_create([org for org, _ in nodes if org.kind != OrganisationKind.BUREAU],
                                             batch_size=INSERT_ROWS)
        self.contacts = contacts
        self.counts["机构·人社部门"] = len(bureaus)
        self.counts["机构·主管部门"] = len(self.departments)
        self.counts["机构·单位"] = len(self.units)
        self.write(f"机构：{len(nodes):,} 个（人社部门 {len(bureaus)}，主管部门 {len(self.departments)}，"
                   f"单位 {len(self.units):,}）  {self.elapsed():.1f} 秒")

    # -- people ----------------------------------------------------------------------------------

    def build_staff(self):
        """One administrator per unit and department (their names are the organisations' contacts),
        clerks per bureau. Units with units below them review as superiors too (dept_admin)."""
        users, grants = [], []  # grants as (index into users, role, organisation)

        def staff(username, contact, *roles):
            name, phone = contact
            users.append({"username": f"syn{self.run}-{username}", "name": name, "phone": phone,
                          "password": self.password, "date_joined": self.now - timedelta(days=400)})
            grants.extend((len(users) - 1, role, org) for role, org in roles)
            return len(users) - 1

        admins, reviewers, clerks = {}, {}, defaultdict(list)
        for i, info in enumerate(self.units, 1):
            roles = [(Role.UNIT_ADMIN, info.org)] + ([(Role.DEPT_ADMIN, info.org)] if info.org.numchild else [])
            admins[info.org.pk] = staff(f"unit-{i:05d}", self.contacts[id(info.org)], *roles)
            if info.org.numchild:
                reviewers[info.org.pk] = (admins[info.org.pk], Role.DEPT_ADMIN)
        for i, dept in enumerate(self.departments, 1):
            reviewers[dept.pk] = (staff(f"dept-{i:04d}", self.contacts[id(dept)], (Role.DEPT_ADMIN, dept)),
                                  Role.DEPT_ADMIN)
        for i, bureau in enumerate(self.bureaus):
            for k in range(1, 4 if i == 0 else 3):
                contact = self.contacts[id(bureau)] if k == 1 else (self.new_name(), self.new_phone())
                clerks[bureau.pk].append(staff(f"clerk-{i:02d}-{k}", contact, (Role.BUREAU_CLERK, bureau)))
        with transaction.atomic():
            pks = self.writer.insert(User, users, ids=True)
            self.writer.insert(RoleGrant, [{"user_id": pks[u], "role": role, "organisation_id": org.pk,
                                            "granted_at": self.now} for u, role, org in grants])
        for info in self.units:
            info.admin = pks[admins[info.org.pk]]
        self.reviewer = {org: (pks[u], role) for org, (u, role) in reviewers.items()}
        self.clerks = {bureau: [pks[u] for u in us] for bureau, us in clerks.items()}
        self.counts["用户·管理账号"] = len(users)
        self.counts["角色授权"] += len(grants)
        self.write(f"管理账号：{len(users):,} 个（用户名 syn{self.run}-…，密码 {PASSWORD}）  {self.elapsed():.1f} 秒")

    def build_people(self, count):
        """Professionals: an applicant role, a confirmed membership, and the unit on their profile."""
        rng = self.rng
        ethnicities, ethnicity_weights = zip(*ETHNICITY_WEIGHTS.items())
        educations, education_weights = zip(*EDUCATION_WEIGHTS.items())
        titles, title_weights = zip(*TITLES.items())
        sizes = [rng.lognormvariate(0, 1) for _ in self.units]
        homes = rng.choices(range(len(self.units)), weights=sizes, k=count)
        self.people = []  # tuples of what declarations copy from the applicant
        for start in range(0, count, self.batch_size):
            users, requested = [], []
            for home in homes[start:start + self.batch_size]:
                info = self.units[home]
                number = self.new_id_number(self.region_counties[info.region])
                requested.append(self.now - timedelta(days=rng.uniform(200, 1500)))
                users.append({
                    "username": number, "id_number": number, "name": self.new_name(), "password": self.password,
                    "gender": "男" if int(number[16]) % 2 else "女",
                    "ethnicity": rng.choices(ethnicities, ethnicity_weights)[0], "phone": self.new_phone(),
                    "education": rng.choices(educations, education_weights)[0], "organisation_id": info.org.pk,
                    "date_joined": requested[-1],
                })
            chunk = homes[start:start + self.batch_size]
            with transaction.atomic():
                pks = self.writer.insert(User, users, ids=True)
                self.writer.insert(Membership, [
                    {"person_id": pk, "organisation_id": self.units[home].org.pk, "status": MembershipStatus.ACTIVE,
                     "requested_at": when, "decided_at": when + timedelta(hours=rng.uniform(1, 120)),
                     "decided_by_id": self.units[home].admin}
                    for pk, home, when in zip(pks, chunk, requested)
                ])
                self.writer.insert(RoleGrant, [{"user_id": pk, "role": Role.APPLICANT, "granted_at": when}
                                               for pk, when in zip(pks, requested)])
            for pk, home, user in zip(pks, chunk, users):
                self.people.append((pk, user["name"], user["id_number"], user["gender"], user["ethnicity"],
                                    user["phone"], user["education"], home, rng.choices(titles, title_weights)[0],
                                    rng.choice(self.units[home].specialties)))
        self.counts["用户·专业技术人员"] = count
        self.counts["单位人员关系"] = count
        self.counts["角色授权"] += count
        self.write(f"专业技术人员：{count:,} 名  {self.elapsed():.1f} 秒")

    # -- declarations ----------------------------------------------------------------------------

    def plan(self):
        """Who declares, in which state, and when: decided for all N first, so that ids follow
        the creation times and the states have exactly their shares."""
        rng, n = self.rng, self.n
        people = len(self.people)
        states = [state for state, count in zip([s for s, _ in STATE_SHARES], shares(n, [w for _, w in STATE_SHARES]))
                  for _ in range(count)]
        rng.shuffle(states)
        applicants = list(range(people)) + [rng.randrange(people) for _ in range(n - people)]
        rng.shuffle(applicants)
        unit_of = [self.units[self.people[p][7]] for p in applicants]
        # Only a unit with a superior above it can have a declaration waiting at a superior.
        stuck = [i for i in range(n) if states[i] == State.SUPERIOR_REVIEW and not unit_of[i].superiors]
        spare = [i for i in range(n) if states[i] != State.SUPERIOR_REVIEW and unit_of[i].superiors]
        rng.shuffle(spare)
        for i in stuck:
            if spare:
                j = spare.pop()
                states[i], states[j] = states[j], states[i]
            else:
                states[i] = State.BUREAU_REVIEW
        window = WINDOW_DAYS * 86400
        plans = []
        for i in range(n):
            if states[i] == State.DRAFT:
                submitted = None
                created = self.now - timedelta(seconds=rng.uniform(0, window))
            else:
                submitted = self.now - timedelta(seconds=rng.uniform(0, window))
                created = submitted - timedelta(seconds=rng.uniform(600, 7 * 86400))
            plans.append((created, submitted, states[i], applicants[i]))
        plans.sort(key=lambda plan: plan[0])
        return plans

    def route(self, info, state):
        """The organisations the declaration passes: its unit, the superiors the reviewers chose
        (usually the next one up, sometimes straight to the bureau), and the bureau."""
        route, above = [info.org], info.superiors
        while above:
            must = state == State.SUPERIOR_REVIEW and len(route) == 1
            if not must and self.rng.random() < 0.2:
                break
            route.append(above[0])
            above = above[1:]
        route.append(info.bureau)
        return route

    def reviewer_at(self, level, route):
        org = route[level]
        if level == 0:
            return self.units_by_pk[org.pk].admin, Role.UNIT_ADMIN
        if level == len(route) - 1:
            return self.rng.choice(self.clerks[org.pk]), Role.BUREAU_CLERK
        return self.reviewer[org.pk]

    def history(self, plan, info):
        """The fields the workflow would have set, and its steps as rows without the declaration id."""
        rng = self.rng
        created, submitted, state, person = plan
        if state == State.DRAFT:
            return {"current_org_id": None, "waiting_since": None, "decided_at": None, "rejection_reason": "",
                    "updated_at": created}, []
        route = self.route(info, state)
        states = [State.UNIT_REVIEW] + [State.SUPERIOR_REVIEW] * (len(route) - 2) + [State.BUREAU_REVIEW]
        if state == State.UNIT_REVIEW:
            passed, final = 0, None
        elif state == State.SUPERIOR_REVIEW:
            passed, final = rng.randrange(1, len(route) - 1), None
        elif state == State.BUREAU_REVIEW:
            passed, final = len(route) - 1, None
        elif state == State.APPROVED:
            passed, final = len(route) - 1, State.APPROVED
        else:
            weights = [45] + [20 / max(1, len(route) - 2)] * (len(route) - 2) + [35]
            passed, final = rng.choices(range(len(route)), weights)[0], State.REJECTED
        moments = sorted(rng.uniform(0, (self.now - submitted).total_seconds()) for _ in range(passed + bool(final)))
        times = [submitted] + [submitted + timedelta(seconds=s) for s in moments]
        unit = route[0]
        steps = [{"action": Action.SUBMIT, "from_state": State.DRAFT, "to_state": State.UNIT_REVIEW,
                  "actor_id": self.people[person][0], "actor_role": Role.APPLICANT, "organisation_id": unit.pk,
                  "next_org_id": unit.pk, "details": PLEDGE, "created_at": times[0]}]
        opinions = [UNIT_OPINIONS] + [SUPERIOR_OPINIONS] * (len(route) - 2) + [BUREAU_OPINIONS]
        for level in range(passed):
            actor, role = self.reviewer_at(level, route)
            steps.append({"action": Action.APPROVE, "from_state": states[level], "to_state": states[level + 1],
                          "actor_id": actor, "actor_role": role, "organisation_id": route[level].pk,
                          "next_org_id": route[level + 1].pk, "opinion": rng.choice(opinions[level]),
                          "created_at": times[level + 1]})
        fields = {"rejection_reason": "", "updated_at": times[-1]}
        if final:
            actor, role = self.reviewer_at(passed, route)
            opinion = rng.choice(REJECT_REASONS if final == State.REJECTED else BUREAU_OPINIONS)
            steps.append({"action": Action.APPROVE if final == State.APPROVED else Action.REJECT,
                          "from_state": states[passed], "to_state": final, "actor_id": actor, "actor_role": role,
                          "organisation_id": route[passed].pk, "next_org_id": None, "opinion": opinion,
                          "created_at": times[-1]})
            fields.update(current_org_id=None, waiting_since=None, decided_at=times[-1])
            if final == State.REJECTED:
                fields["rejection_reason"] = opinion
        else:
            fields.update(current_org_id=route[passed].pk, waiting_since=times[-1], decided_at=None)
        for step in steps:
            step["ip_address"] = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        return fields, steps

    def training(self, specialty, span):
        """Per year: 1–2 training items (8 hours a day, 4 a half day), most years one of each subject."""
        rng, years = self.rng, []
        for year in span:
            roll = rng.random()
            subjects = ["professional", "public"] if roll < 0.65 else (["professional"] if roll < 0.9 else ["public"])
            items = []
            for subject in subjects:
                if subject == "public":
                    days, half = rng.randint(2, 4), rng.choice((0, 0, 1))
                    title = f"{year}年{rng.choice(PUBLIC_THEMES)}公需科目培训"
                else:
                    days, half = rng.randint(3, 9), rng.choice((0, 0, 1, 2))
                    title = f"{year}年{specialty}{rng.choice(PROFESSIONAL_FORMS)}"
                items.append((subject, days, half, title, 8 * days + 4 * half))
            years.append((year, items))
        return years

    @staticmethod
    def spans(plans):
        """The years each plan declares. One declaration is open per person and span
        (declaration_one_open_per_span), so a person's earlier declarations are for other spans:
        the five years before (as for the title before this one), then other five-year spans,
        then shorter ones — every span a person is given differs from their others."""
        first = len(YEARS)
        choices = [
            range(end - length + 1, end + 1)
            for length in range(first, 0, -1)
            for end in sorted(range(2000 + length - 1, YEARS.stop), key=lambda end: ((YEARS.stop - 1 - end) % first != 0, -end))
        ]
        spans, seen = [None] * len(plans), Counter()
        for index in range(len(plans) - 1, -1, -1):  # the latest declaration of each person is for YEARS
            person = plans[index][3]
            spans[index] = choices[seen[person]]
            seen[person] += 1
        return spans

    def build_declarations(self):
        rule_set = RuleSet.objects.get(code=RULE_SET_CODE)
        self.units_by_pk = {info.org.pk: info for info in self.units}
        plans = self.plan()
        spans = self.spans(plans)
        hours = {h: Decimal(h) for h in range(1000)}
        zero = hours[0]
        done = 0
        self.by_state = Counter()
        for start in range(0, len(plans), self.batch_size):
            batch = plans[start:start + self.batch_size]
            declarations, contents, histories = [], [], []
            for plan, span in zip(batch, spans[start:start + self.batch_size]):
                created, submitted, state, person = plan
                pk, name, number, gender, ethnicity, phone, education, home, title, specialty = self.people[person]
                info = self.units[home]
                fields, steps = self.history(plan, info)
                years = self.training(specialty, span)
                public = sum(h for _, items in years for s, *_, h in items if s == "public")
                professional = sum(h for _, items in years for s, *_, h in items if s != "public")
                declarations.append({
                    "state": state, "submitted_at": submitted, "applicant_id": pk, "organisation_id": info.org.pk,
                    "rule_set_id": rule_set.pk, "name": name, "id_number": number, "gender": gender,
                    "ethnicity": ethnicity, "phone": phone, "education": education, "title_sought": title,
                    "category": info.category, "specialty": specialty, "start_year": span[0],
                    "end_year": span[-1], "total_public": hours[public], "total_professional": hours[professional],
                    "pledged_at": submitted, "created_at": created, **fields,
                })
                contents.append(years)
                histories.append(steps)
                self.by_state[state] += 1
            with transaction.atomic():
                # 业务编号 as hours/services.py gives it: the day it was opened (local time) and its id.
                pks = self.writer.reserve_ids(Declaration, declarations)
                if pks:
                    for row in declarations:
                        row["business_no"] = f"{timezone.localtime(row['created_at']):%Y%m%d}{row['id']:07d}"
                pks = self.writer.insert(Declaration, declarations, ids=True)
                if "business_no" not in declarations[0]:
                    self.number(pks)
                records = [
                    {"declaration_id": pk, "year": year,
                     "public_hours": hours[sum(h for s, *_, h in items if s == "public")],
                     "professional_hours": hours[sum(h for s, *_, h in items if s != "public")]}
                    for pk, years in zip(pks, contents) for year, items in years
                ]
                record_pks = iter(self.writer.insert(YearRecord, records, ids=True))
                items_out = []
                for row, years in zip(declarations, contents):
                    for year, items in years:
                        record = next(record_pks)
                        for subject, days, half, title, h in items:
                            items_out.append({
                                "year_record_id": record, "applicant_id": row["applicant_id"], "activity": "training",
                                "facts": {"subject": subject, "days": days, "half_days": half, "title": title,
                                          "year": year},
                                "title": title, "public_hours": hours[h] if subject == "public" else zero,
                                "professional_hours": zero if subject == "public" else hours[h],
                                "counted_year": year, "created_at": row["created_at"],
                            })
                self.writer.insert(Item, items_out)
                steps_out = [dict(step, declaration_id=pk) for pk, steps in zip(pks, histories) for step in steps]
                self.writer.insert(ReviewStep, steps_out)
            done += len(batch)
            self.counts["年度明细"] += len(records)
            self.counts["学习项目"] += len(items_out)
            self.counts["审核记录"] += len(steps_out)
            self.write(f"申报：{done:,}/{len(plans):,}  {self.elapsed():.1f} 秒")
        self.counts["学时核认申报"] = len(plans)

    def number(self, pks):
        """业务编号 for backends without ids taken in advance: one UPDATE per 5,000 rows."""
        text = CharField()
        for start in range(0, len(pks), 5000):
            Declaration.objects.filter(pk__in=pks[start:start + 5000]).update(business_no=Concat(
                Cast(ExtractYear("created_at"), text),
                LPad(Cast(ExtractMonth("created_at"), text), 2, fill_text=Value("0")),
                LPad(Cast(ExtractDay("created_at"), text), 2, fill_text=Value("0")),
                LPad(Cast("id", text), 7, fill_text=Value("0")),
                output_field=text,
            ))

    def run(self):
        self.password = make_password(PASSWORD)
        self.writer = Writer(self.now)
        self.load_taken()
        self.write(f"第 {self.run} 批合成数据：{self.n:,} 份申报，约 {self.units_wanted:,} 个单位"
                   f"（写入方式：{'COPY' if self.writer.copy else 'bulk_create'}）")
        self.build_organisations()
        self.build_staff()
        self.build_people(max(1, round(self.n * 0.8)) if self.n else 0)
        self.by_state = Counter()
        if self.n:
            self.build_declarations()
        if self.writer.copy:
            self.writer.analyze(Organisation, User, RoleGrant, Membership, Declaration, YearRecord, Item, ReviewStep)


class Command(BaseCommand):
    help = "生成大规模合成数据（机构树、人员、申报及审核记录），用于性能测试；重复运行会追加一批新数据。"

    def add_arguments(self, parser):
        parser.add_argument("--declarations", type=int, required=True, help="申报数量 N")
        parser.add_argument("--units", type=int, default=None, help="用人单位数量，默认 max(30, N/50)")
        parser.add_argument("--seed", type=int, default=None, help="随机种子，相同种子在相同数据库上生成相同数据")
        parser.add_argument("--batch-size", type=int, default=10_000, help="每个事务写入的申报数（默认 10000）")

    def handle(self, *args, **options):
        n = options["declarations"]
        units = options["units"] if options["units"] is not None else max(30, n // 50)
        if n < 0 or units < 1 or options["batch_size"] < 1:
            raise CommandError("--declarations 不能为负数，--units 和 --batch-size 至少为 1。")
        if not RuleSet.objects.filter(code=RULE_SET_CODE).exists():
            raise CommandError(f"缺少学时折算规则 {RULE_SET_CODE}，请先运行 migrate。")
        seed = options["seed"] if options["seed"] is not None else random.SystemRandom().randrange(2**31)
        seeder = Seeder(declarations=n, units=units, seed=seed, batch_size=options["batch_size"],
                        write=self.stdout.write)
        self.stdout.write(f"随机种子 {seed}")
        seeder.run()
        counts = seeder.counts
        states = "，".join(f"{State(s).label} {seeder.by_state[s]:,}" for s, _ in STATE_SHARES)
        self.stdout.write(self.style.SUCCESS(f"完成，用时 {seeder.elapsed():.1f} 秒。"))
        for label, value in counts.items():
            self.stdout.write(f"  {label}: {value:,}")
        if n:
            self.stdout.write(f"  申报状态: {states}")

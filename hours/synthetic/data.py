"""The synthetic province's data: places, departments and their units, names, the shares of each
kind, and the check characters of the identifiers (身份证号码, 统一社会信用代码) built from them."""
import functools

from stdnum.cn import ric
from stdnum.cn import uscc as uscc_std

from accounts.models import Education, Nature
from workflow.models import State

PASSWORD = "Demo@2024"
RULE_SET_CODE = "hunan-2024"
YEARS = range(2019, 2024)
WINDOW_DAYS = 60

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
# What reviewers write when they pass a declaration on, by the state it waited in.
OPINIONS = {
    State.UNIT_REVIEW: ["情况属实，同意上报。", "经核实，材料齐全，同意。", "同意。"],
    State.SUPERIOR_REVIEW: ["同意。", "经审核，同意上报。", "材料齐全，同意。"],
    State.BUREAU_REVIEW: ["审核通过。", "符合继续教育学时要求，予以认定。", "同意认定。"],
}

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


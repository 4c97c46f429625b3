"""What the people in the journeys do on the portal's pages, in the words the pages use."""
import itertools
import re

from playwright.sync_api import expect
from PIL import Image, ImageDraw

from hours.models import Declaration
from hours.models import ReviewStep
from tests.conftest import Demo
from tests.hours.fixtures_views import people

ZHAO = "430121198511291051"  # 赵金强, 湖南省地质研究所: the applicant whose declaration the journeys follow
CHEN = "430121197503121031"  # 陈立新, 湖南省地质研究所's administrator
LI = "430121199002171064"  # 李雪梅, 湖南省地质研究所
_colours = itertools.count(1)


def demo_people(demo_data):
    return people(Demo(demo_data))


def scan(folder, name):
    """A real, distinct PNG for each upload (the reviewers' checks flag one file used twice)."""
    n = next(_colours)
    image = Image.new("RGB", (240, 160), (250, 246 - n % 40, 235))
    ImageDraw.Draw(image).rectangle([6, 6, 233, 153], outline=(180, 40 + n % 200, 40), width=3)
    path = folder / f"{name}.png"
    image.save(path, "PNG")
    return path


def field(scope, label):
    """The input labelled exactly `label` (a required field's label starts with the “*” mark)."""
    return scope.get_by_label(re.compile(rf"^\*?{re.escape(label)}$"))


def flash(page):
    return page.locator(".messages")


def declaration_of(id_number):
    return Declaration.objects.filter(applicant__id_number=id_number).order_by("-pk").first()


def open_menu(journey, page, label, shot=None):
    """A left-menu entry, opening the folded sections above it first, as a person would."""
    menu = page.get_by_role("navigation", name="主菜单")
    sections = menu.locator("details", has=page.get_by_role("link", name=label, exact=True, include_hidden=True))
    for n in range(sections.count()):
        section = sections.nth(n)
        if section.get_attribute("open") is None:
            section.locator("> summary").click()
    journey.navigate(page, menu.get_by_role("link", name=label, exact=True).click, shot=shot)


def new_declaration(journey, page, *, start_year, end_year, shot=None):
    """学时核认申报 › 新增学时核认申报, step 6 filled in; ends on the year-by-year page."""
    journey.navigate(page, lambda: page.get_by_role("link", name="新增学时核认申报").click())
    page.get_by_label("拟申报职称").select_option("中级")
    page.get_by_label("申报大类").select_option("工程技术")
    page.get_by_label("子专业名称").fill("地质勘查")
    page.get_by_label("申报起始年度").select_option(str(start_year))
    page.get_by_label("申报终止年度").select_option(str(end_year))
    journey.navigate(page, lambda: page.get_by_role("button", name="下一步").click(), shot=shot)
    expect(flash(page)).to_contain_text("已暂存")


def year_article(page, year):
    return page.locator("article.year").filter(has=page.get_by_role("heading", name=re.compile(f"^{year}年度")))


def add_year(journey, page, year):
    field(page, "年度").select_option(str(year))
    journey.navigate(page, lambda: page.get_by_role("button", name="新增", exact=True).click())
    expect(flash(page)).to_contain_text(f"已新增{year}年度明细")


def add_item(journey, page, year, activity, facts, *, shot=None):
    """Choose the learning form (htmx brings its fields in), fill them, save."""
    article = year_article(page, year)
    article.get_by_label("添加学习项目：").select_option(activity)
    form = article.locator(".item-form form")
    expect(form).to_be_visible()
    journey.look(page, state=f"item-form:{activity}")
    for label, value in facts.items():
        box = field(form, label)
        if box.evaluate("e => e.tagName") == "SELECT":
            box.select_option(label=value)
        else:
            box.fill(str(value))
    expect(form.locator("#item-preview")).to_contain_text("折算学时")
    journey.navigate(page, lambda: form.get_by_role("button", name="保存学习项目").click(), shot=shot)
    expect(flash(page)).to_contain_text("已添加")


def upload_for_item(journey, page, year, title, material, path):
    row = year_article(page, year).locator("tr", has_text=title)
    row.get_by_label("材料名称").select_option(label=material)
    row.get_by_label("选取文件").set_input_files(path)
    journey.navigate(page, lambda: row.get_by_role("button", name="上传").click())
    expect(flash(page)).to_contain_text("已上传1个文件")


def upload_general(journey, page, category, path):
    section = page.locator("#materials")
    section.get_by_label("材料类别").select_option(label=category)
    section.get_by_label("选取文件").set_input_files(path)
    journey.navigate(page, lambda: section.get_by_role("button", name="上传").click())
    expect(flash(page)).to_contain_text("已上传1个文件")


def submit(journey, page, *, shot=None):
    section = page.locator("#submit")
    expect(section).to_contain_text("申报内容已完整")
    section.get_by_label(re.compile("承诺以上信息真实有效")).check()
    journey.navigate(page, lambda: section.get_by_role("button", name="提交").click(), shot=shot)
    expect(flash(page)).to_contain_text("已提交，等待审核")


def open_case(journey, page, queue_label, name, *, shot=None):
    """From a review queue, the row of `name` › 审核 (or 办理)."""
    open_menu(journey, page, queue_label)
    row = page.locator("tbody tr", has_text=name)
    journey.navigate(page, lambda: row.get_by_role("link", name=re.compile("审核|办理")).click(), shot=shot)


def decision_panel(page):
    return page.locator("#decision-form")


def choose_next_level(panel, *, superior=None, bureau=False):
    """审核通过后送: open the choice (the direct superior is preselected) and pick another."""
    choice = panel.locator("details.next-level")
    if choice.get_attribute("open") is None:
        choice.locator("summary").click()
    if superior:
        panel.get_by_role("radio", name="上级审核单位").check()
        panel.get_by_label("上级审核单位名称").select_option(label=superior)
    if bureau:
        panel.get_by_role("radio", name="经办机构").check()


def decide(journey, page, *, approve=True, superior=None, bureau=False, opinion="", unit_level=False, shot=None):
    """The decision panel: 审核通过 (to `superior` or the bureau when named, else to the direct
    superior preselected) or 审核不通过. A rejection without a reason is refused in the page, beside
    the field, before any confirmation (nothing is sent)."""
    panel = decision_panel(page)
    if superior or bureau:
        choose_next_level(panel, superior=superior, bureau=bureau)
    if unit_level:
        panel.get_by_label("是否在编").select_option("是")
        panel.get_by_label("审核原则").select_option("按折算细则核定")
    panel.get_by_label("审核意见").fill(opinion)
    button = panel.get_by_role("button", name="审核通过" if approve else "审核不通过", exact=True)
    if not approve and not opinion.strip():
        button.click()
        expect(page.locator("#decision-errors")).to_be_focused()
        journey.look(page, shot)
        return
    journey.navigate(page, button.click, shot=shot)


def assert_audited(transitions, declarations):
    """Each state change of each declaration has exactly one audit step, from and to the same states."""
    for d in declarations:
        changes = [(source, target) for kind, pk, _, source, target in transitions if kind == "Declaration" and pk == d.pk]
        recorded = list(ReviewStep.objects.filter(declaration=d).order_by("created_at", "id").values_list("from_state", "to_state"))
        assert recorded == changes, f"{d.business_no}: 状态变化 {changes}，审核记录 {recorded}"

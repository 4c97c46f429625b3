"""What the virtual users read off the portal's pages (links, form fields), kept apart from the
locustfile so that tests can check it against the real templates without importing locust."""
import re

CASE_LINK = re.compile(r'href="/review/case/(\d+)/"')
EXPECTED_STATE = re.compile(r'name="expected_state" value="([a-z_]*)"')
NEXT_TYPES = re.compile(r'name="next_type" value="(superior|bureau)"')
OPTION = re.compile(r'<option value="(\d+)"')
PICK = re.compile(r'name="ids" value="(\d+)"')
ITEM_DELETE = re.compile(r'action="/hours/\d+/items/(\d+)/delete/"')


def case_ids(html):
    """The declarations a review queue links to, in the queue's order."""
    return CASE_LINK.findall(html)


def approval(html):
    """The decision form of a case page filled in as a reviewer approving it: to the first
    superior offered, or to the bureau when there is none (or at the bureau, no next level)."""
    form = {"decision": "approve", "opinion": "情况属实，同意。"}
    state = EXPECTED_STATE.search(html)
    form["expected_state"] = state.group(1) if state else ""
    kinds = NEXT_TYPES.findall(html)
    select = html.split('name="next_org"', 1)
    orgs = OPTION.findall(select[1].split("</select>", 1)[0]) if len(select) == 2 else []
    if "superior" in kinds and orgs:
        form.update(next_type="superior", next_org=orgs[0])
    elif kinds:
        form["next_type"] = "bureau"
    return form


def pickable(html):
    """The ids the 待办列表 page offers for 批量审核."""
    return PICK.findall(html)


def items_after(html, last_item):
    """Items of the draft's edit page newer than `last_item` (the ones the load test added)."""
    return [pk for pk in ITEM_DELETE.findall(html) if int(pk) > last_item]

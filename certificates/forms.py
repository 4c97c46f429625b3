from django import forms
from django.utils import timezone

from core.forms import Form

from . import numbers
from .selectors import FIRST_YEAR, span_problem

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class SpanForm(Form):
    """Steps 11–12: the first and last year, then 查询. Selects offer the years that can be chosen,
    but the fields take any integer, so a year typed into the address bar gets a clear message
    (span_problem) rather than “select a valid choice”."""

    start_year = forms.IntegerField(label="起始年度", widget=forms.Select, error_messages={"required": "请选择起始年度。", "invalid": "请选择起始年度。"})
    end_year = forms.IntegerField(label="终止年度", widget=forms.Select, error_messages={"required": "请选择终止年度。", "invalid": "请选择终止年度。"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        years = [(y, f"{y}年") for y in range(this_year, FIRST_YEAR - 1, -1)]
        for name in ("start_year", "end_year"):
            self.fields[name].widget.choices = years

    @staticmethod
    def default_span():
        """With nothing approved yet, the span the 2024 notice asks for: the five years before this
        one (an applicant with approved hours starts from selectors.default_span)."""
        last = timezone.localdate().year - 1
        return {"start_year": last - 4, "end_year": last}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_year"), cleaned.get("end_year")
        if start is not None and end is not None:
            problem = span_problem(start, end)
            if problem:
                raise forms.ValidationError(problem)
        return cleaned


class IssueForm(SpanForm):
    """下载: the span, and for a span with years short of the requirement the applicant's
    confirmation, whose value names those years (so a confirmation given for other years, before
    the approved hours changed, does not count)."""

    confirm_short = forms.CharField(required=False, max_length=200)

    def clean_confirm_short(self):
        years = set()
        for part in self.cleaned_data["confirm_short"].split(","):
            part = part.strip()
            if part.isdigit() and len(part) == 4:
                years.add(int(part))
        return years


class NumberForm(Form):
    number = forms.CharField(
        label="认定单编号", max_length=60, error_messages={"required": "请输入认定单编号。"},
        widget=forms.TextInput(attrs={"placeholder": "如 XS2024-7K3P-9QXM-2FD5", "autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_number(self):
        canonical = numbers.normalize(self.cleaned_data["number"])
        if canonical is None:
            raise forms.ValidationError("编号格式不正确，请核对后重新输入（格式如 XS2024-7K3P-9QXM-2FD5）。")
        return canonical


class UploadForm(Form):
    file = forms.FileField(
        label="认定单 PDF 文件", error_messages={"required": "请选择要查验的 PDF 文件。", "empty": "文件是空的。"},
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
        help_text="上传持有的认定单 PDF，与出具时保存的文件比对，并校验电子签章（不超过5M）。",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("文件超过5M，不是本平台出具的认定单。")
        head = upload.read(1024)
        upload.seek(0)
        if b"%PDF-" not in head:
            raise forms.ValidationError("只能上传 PDF 文件。")
        return upload

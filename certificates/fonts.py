"""The CJK font embedded in certificates, found at run time.

WeasyPrint embeds a subset of the font it is given. A TrueType font with plain glyf outlines
(WenQuanYi Micro Hei, 5 MB, installed by `make` as fonts-wqy-microhei) subsets in milliseconds and
gives a ~20 KB file; Noto Sans CJK (CFF outlines, 19 MB) takes several times longer and gives a
file ten times the size. So the certificate names its font file in @font-face instead of leaving
the choice to fontconfig, which would pick Noto wherever it happens to be installed."""
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


# Fastest first. Debian paths; the last ones are what other distributions call them.
CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
)


def _fontconfig_choice():
    """What fontconfig would use for Simplified Chinese, as a last resort."""
    if not shutil.which("fc-match"):
        return None
    try:
        out = subprocess.run(
            ["fc-match", "--format=%{file}", "sans-serif:lang=zh-cn"], capture_output=True, text=True, timeout=5, check=False
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out or None


@lru_cache(maxsize=1)
def cjk_font_path():
    """settings.CERT_FONT_PATH if set, else the first installed candidate, else fontconfig's pick."""
    configured = settings.CERT_FONT_PATH
    if configured:
        if not Path(configured).is_file():
            raise ImproperlyConfigured(f"CERT_FONT_PATH 指向的字体文件不存在：{configured}")
        return str(configured)
    for candidate in CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    found = _fontconfig_choice()
    if found and Path(found).is_file():
        return found
    raise ImproperlyConfigured(
        "未找到中文字体，无法生成学时认定单。请安装 fonts-wqy-microhei（make install 会自动安装）"
        " or set CERT_FONT_PATH to a CJK TrueType font."
    )

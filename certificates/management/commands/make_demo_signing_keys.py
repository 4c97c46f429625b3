"""Demo electronic seals: a self-signed CA and a key and certificate for every bureau, under
CERT_SIGNING_DIR (var/signing/). Certificates sign lazily with these when present, and make them
when missing; production sets CERT_SIGNING_KEY / CERT_SIGNING_CERT instead."""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation, OrganisationKind
from certificates import signing


class Command(BaseCommand):
    help = "生成演示用电子印章：自签名根证书及各人社部门的签章密钥和证书（var/signing/）。"

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="重新生成（原有密钥和证书作废）")

    def handle(self, *args, force=False, **options):
        if not settings.CERT_DEMO_SIGNING:
            raise CommandError("当前设置不允许演示电子印章（生产环境请配置 CERT_SIGNING_KEY 和 CERT_SIGNING_CERT）。")
        bureaus = list(Organisation.objects.filter(kind=OrganisationKind.BUREAU).order_by("path"))
        made = signing.make_demo_keys(bureaus, force=force)
        directory = signing.signing_dir()
        for bureau in bureaus:
            key, cert, _ = signing.demo_paths(bureau, directory)
            state = "新生成" if bureau in made else "已存在"
            self.stdout.write(f"{state}  {bureau.name}  {cert.relative_to(directory)}")
        self.stdout.write(self.style.SUCCESS(f"演示根证书：{directory / signing.CA_CERT}；共{len(bureaus)}个人社部门，新生成{len(made)}个。"))

"""`python manage.py backup [--output-dir var/backups]` (or `make backup`): one tar archive with the
database snapshot, every stored file and the demo seal keys, and a manifest. See portal/backup.py."""
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "备份数据库（一致快照）、全部存储文件和演示电子印章密钥，写成一个带清单的 tar 文件。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--output-dir", default=str(Path(settings.BASE_DIR) / "var" / "backups"),
            help="备份文件写到这个目录（默认 var/backups/）",
        )

    def handle(self, *args, output_dir, **options):
        try:
            path = backup_create(output_dir=output_dir)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"已备份到 {path}")

"""`python manage.py restore BACKUP [--force]` (or `make restore BACKUP=…`): brings an archive made by
`backup` back into an empty installation, after checking every member against its manifest."""
from django.core.management.base import BaseCommand, CommandError

from portal.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "从 backup 生成的 tar 文件恢复数据库、存储文件和演示电子印章密钥（目标须为空的安装）。"

    def add_arguments(self, parser):
        parser.add_argument("archive", help="备份文件（xueshi-backup-….tar）")
        parser.add_argument(
            "--force", action="store_true",
            help="目标不为空时仍然恢复：先删除数据库中的全部表，覆盖同名文件（存储中的其他文件保留）",
        )

    def handle(self, *args, archive, force, **options):
        try:
            report = backup_restore(archive=archive, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"已恢复：{report.database} 数据库，{report.files} 个存储文件，{report.signing_files} 个电子印章文件。"
        )
        for model, field, name in report.missing_files:
            self.stderr.write(f"缺少文件：{model}.{field} 引用的 {name} 不在存储中")
        if report.unapplied_migrations:
            self.stdout.write(
                f"备份早于本程序版本：还有 {len(report.unapplied_migrations)} 个迁移未执行，请运行 python manage.py migrate。"
            )
        if report.missing_files:
            raise CommandError(f"恢复完成，但有 {len(report.missing_files)} 个被引用的文件缺失（见上）。")

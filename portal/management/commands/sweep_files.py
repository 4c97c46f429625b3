"""`python manage.py sweep_files [--older-than-hours 24] [--dry-run]`

Deletes stored files (filesystem or S3 bucket) that no FileField of any model references and that
are older than the threshold — what is left when a process dies between writing a file and
committing its row, or when deleting a file after its row failed. Younger files are kept: their
row may not have committed yet. Prints one line per file removed (or, with --dry-run, that would
be), then a summary. See core/storage.py."""
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from core.storage import UnsafeStorage, sweep


class Command(BaseCommand):
    help = "删除没有任何记录引用、且早于指定时间的存储文件（佐证材料、备案材料、学时认定单等）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-hours", type=int, default=24,
            help="只删除早于这么多小时的文件（默认24；0 只应在没有上传进行时使用）",
        )
        parser.add_argument("--dry-run", action="store_true", help="只列出将删除的文件，不删除")

    def handle(self, *args, older_than_hours, dry_run, **options):
        if older_than_hours < 0:
            raise CommandError("--older-than-hours 不能为负数。")
        verb = "将删除" if dry_run else "已删除"

        def report(name, modified):
            self.stdout.write(f"{verb} {name}（{modified:%Y-%m-%d %H:%M}）")

        try:
            result = sweep(older_than=timedelta(hours=older_than_hours), dry_run=dry_run, report=report)
        except UnsafeStorage as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"共 {result.checked} 个文件：{result.referenced} 个有记录引用，{result.young} 个不足 {older_than_hours} 小时（保留），"
            f"{verb} {len(result.removed)} 个未被引用的文件。"
        )

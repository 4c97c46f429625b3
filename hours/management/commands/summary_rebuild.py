from django.core.management.base import BaseCommand

from hours import summary


class Command(BaseCommand):
    help = "按原始申报数据重新计算学时汇总（学时档案、本单位人员学时情况、查询统计所用）；升级后或批量写入数据后运行一次。"

    def handle(self, *args, **options):
        for label, count in summary.rebuild().items():
            self.stdout.write(f"{label}: {count:,}")

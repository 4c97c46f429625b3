"""`python manage.py seed_synthetic --declarations N [--units U] [--seed S] [--batch-size B]`: a
synthetic province at benchmark scale, built by hours/synthetic."""
import random

from django.core.management.base import BaseCommand, CommandError

from hours.models import RuleSet
from hours.synthetic.data import RULE_SET_CODE, STATE_SHARES
from hours.synthetic.seeder import Seeder
from workflow.models import State


class Command(BaseCommand):
    help = "生成大规模合成数据（机构树、人员、申报及审核记录），用于性能测试；重复运行会追加一批新数据。"

    def add_arguments(self, parser):
        parser.add_argument("--declarations", type=int, required=True, help="申报数量 N")
        parser.add_argument("--units", type=int, default=None, help="用人单位数量，默认 max(30, N/50)")
        parser.add_argument("--seed", type=int, default=None, help="随机种子，相同种子在相同数据库上生成相同数据")
        parser.add_argument("--batch-size", type=int, default=10_000, help="每个事务写入的申报数（默认 10000）")

    def handle(self, *args, **options):
        n = options["declarations"]
        units = options["units"] if options["units"] is not None else max(30, n // 50)
        if n < 0 or units < 1 or options["batch_size"] < 1:
            raise CommandError("--declarations 不能为负数，--units 和 --batch-size 至少为 1。")
        if not RuleSet.objects.filter(code=RULE_SET_CODE).exists():
            raise CommandError(f"缺少学时折算规则 {RULE_SET_CODE}，请先运行 migrate。")
        seed = options["seed"] if options["seed"] is not None else random.SystemRandom().randrange(2**31)
        seeder = Seeder(declarations=n, units=units, seed=seed, batch_size=options["batch_size"],
                        write=self.stdout.write)
        self.stdout.write(f"随机种子 {seed}")
        seeder.run()
        counts = seeder.counts
        states = "，".join(f"{State(s).label} {seeder.by_state[s]:,}" for s, _ in STATE_SHARES)
        self.stdout.write(self.style.SUCCESS(f"完成，用时 {seeder.elapsed():.1f} 秒。"))
        for label, value in counts.items():
            self.stdout.write(f"  {label}: {value:,}")
        if n:
            self.stdout.write(f"  申报状态: {states}")

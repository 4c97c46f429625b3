from django.core.management.base import BaseCommand

from core import jobs


class Command(BaseCommand):
    help = "接管失去后台进程的任务：运行中但超过 JOB_STALL_SECONDS 没有进展的任务按一次失败处理（可重试的重新排队）。"

    def handle(self, *args, **options):
        recovered = jobs.jobs_recover()
        for job in recovered:
            self.stdout.write(f"任务 {job.pk}（{job.title}）：{job.get_state_display()}")
        self.stdout.write(f"共接管 {len(recovered)} 个中断的任务。")

from django_tasks import task

from solidaria.core.permissions import SYSTEM
from solidaria.indicators import services


@task()
def compute_report(year: int) -> int:
    """Compute the network report of `year` (schedule it yearly, or queue it from the page)."""
    return services.report_compute(actor=SYSTEM, year=year).pk

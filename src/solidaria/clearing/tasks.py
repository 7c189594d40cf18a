from django_tasks import task

from solidaria.clearing import services


@task()
def compute_run(run_id: int) -> int:
    """Compute a clearing run's proposal (progress is written on the run row)."""
    return services.run_compute(run_id).pk

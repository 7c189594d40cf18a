from django_tasks import task

from solidaria.clearing import services


@task()
def compute_run(run_id: int) -> int:
    """Compute a clearing run's proposal (progress is written on the run row)."""
    return services.run_compute(run_id).pk


@task()
def apply_due_runs() -> dict[str, list[int]]:
    """Decide every proposed run whose deadline has passed (schedule it, e.g. hourly)."""
    report = services.runs_apply_due()
    return {"applied": report.applied, "lapsed": report.lapsed, "recomputed": report.recomputed}

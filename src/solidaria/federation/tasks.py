from django_tasks import task

from solidaria.federation import aggregation, registration


@task()
def sync_registration(registration_id: int) -> str:
    """Send one profile URL to the index and poll its status (bounded retries)."""
    return str(registration.sync(registration_id).status)


@task()
def run_subscription(subscription_id: int) -> dict[str, int]:
    """Aggregate one subscription's profiles into the directory."""
    return aggregation.run_subscription(subscription_id)


@task()
def run_subscriptions() -> dict[str, dict[str, int]]:
    """Aggregate every active subscription (schedule it, e.g. hourly)."""
    return aggregation.run_all()

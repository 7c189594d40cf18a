from django_tasks import task

from solidaria.murmurations import services


@task()
def process_node(node_id: str) -> str:
    """Fetch and validate a posted profile URL; returns the node's new status."""
    return services.process(node_id)


@task()
def purge_deleted_nodes() -> int:
    """Remove nodes deleted more than 14 days ago (schedule it daily); returns how many."""
    from solidaria.murmurations import retention

    return retention.purge_deleted()

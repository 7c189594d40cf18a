from django_tasks import task

from solidaria.murmurations import services


@task()
def process_node(node_id: str) -> str:
    """Fetch and validate a posted profile URL; returns the node's new status."""
    return services.process(node_id)

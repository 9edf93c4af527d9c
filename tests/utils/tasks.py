"""Walk the tasks of a parsed task file or playbook (the unit tests' read of roles/ and playbooks/)."""


def tasks(node):
    """Every task of a task list or play list, blocks, plays' sections and handlers included."""
    for item in node if isinstance(node, list) else []:
        if not isinstance(item, dict):
            continue
        for section in ("block", "rescue", "always", "tasks", "pre_tasks", "post_tasks", "handlers"):
            yield from tasks(item.get(section))
        yield item

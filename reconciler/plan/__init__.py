"""The pure core: diff desired against live, order changes, guard them, build the Plan."""

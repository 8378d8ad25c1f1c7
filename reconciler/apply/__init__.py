"""Apply: execute a reviewed plan under a lock, paced, with a hash-chained audit log."""

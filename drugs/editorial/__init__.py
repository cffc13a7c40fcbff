"""The editorial workflow the admin drives: review and publish, versions, readability, clinical review."""

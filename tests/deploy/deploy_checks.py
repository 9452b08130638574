"""What the deploy scripts (deb_test.py, install_test.py) share: a check that records
a failure, says it at once and goes on, so one run reports every failure."""

failures = []


def check(cond, what):
    """Records `what` as a failure unless `cond` holds; returns `cond`."""
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)
    return cond

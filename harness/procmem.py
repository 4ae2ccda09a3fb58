"""The peak memory of the measuring process: its resident-set high-water mark (VmHWM).

Unlike ``getrusage``'s ``ru_maxrss``, which Linux carries over from the parent across fork and
exec (a small child of a large worker reports the worker's peak), VmHWM is this process's own,
and :func:`reset_peak_rss` starts it afresh (``/proc/self/clear_refs``, value 5), so a long-lived
worker measures each run on its own. The model child and the baselines' protocol both read it.
"""

from __future__ import annotations


def peak_rss_mb() -> float | None:
    """This process's resident-set high-water mark in MiB; None where ``/proc`` does not say."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


def reset_peak_rss() -> bool:
    """Start the high-water mark again from the current resident set; False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False

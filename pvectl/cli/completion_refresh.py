"""``python -m pvectl.cli.completion_refresh``: finish a completion lookup that missed its time box.

Started detached by pvectl.cli.completers.refresh_later with the job in its environment; fills the cache so the
next TAB has the values. Silent, and gone after at most DEADLINE_SECONDS whatever the server does.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal

DEADLINE_SECONDS = 60


def main() -> None:
    from pvectl.cli.completers import REFRESH_ENV, refresh

    job = json.loads(os.environ.pop(REFRESH_ENV))
    if hasattr(signal, "alarm"):
        signal.alarm(DEADLINE_SECONDS)  # the default SIGALRM action ends the process
    try:
        with contextlib.suppress(Exception):
            refresh(job["options"], job["what"], job.get("node"))
    finally:
        with contextlib.suppress(OSError):
            os.unlink(job["lock"])


if __name__ == "__main__":
    main()

"""How the typed SDK reads the corpus of real PVE answers (tests/sdk/realdata/): counts, no timing.

Run: python -m tests.bench.bench_realdata

Every answer goes through the generated method a user would call, on a mock transport. Prints how many came
back typed (models only), typed with extra fields (models carrying keys the schema does not declare) and
as plain JSON (no model declared), plus the two counts that must stay 0: answers that lost data and
values kept raw (logged at DEBUG).
"""

from __future__ import annotations

import logging
from collections import Counter

import httpx

from pvectl.sdk import ProxmoxClient
from tests.sdk.realcorpus import entries, kind, load, lost, typed_get


class _RawCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "kept raw" in record.getMessage():
            self.count += 1


def main() -> None:
    counter = _RawCounter()
    logger = logging.getLogger("pvectl.sdk")
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    kinds: Counter[str] = Counter()
    lost_answers = 0
    raw_answers = 0
    answers = [load(f) for f in entries()]
    for answer in answers:
        body = {"data": answer.answer}
        transport = httpx.MockTransport(lambda request, body=body: httpx.Response(200, json=body))
        with ProxmoxClient("pve1", token="root@pam!b=s", server_version="9.1.9", transport=transport) as client:
            before = counter.count
            got = typed_get(client, answer)(**answer.query)
        kinds[kind(got)] += 1
        lost_answers += bool(lost(answer.answer, got))
        raw_answers += counter.count > before
    releases = sorted({a.major or "?" for a in answers})
    print(
        f"real answers: {len(answers)} from {len({a.template for a in answers})} endpoints, "
        f"PVE majors {', '.join(releases)}"
    )
    print(
        f"typed {kinds['typed']}, typed with extras {kinds['typed-with-extras']}, plain JSON {kinds['json']}; "
        f"lost {lost_answers}, kept raw {raw_answers}"
    )


if __name__ == "__main__":
    main()

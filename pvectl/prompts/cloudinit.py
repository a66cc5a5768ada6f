"""The optional Cloud-Init step of ``vm create -i``: asked only after "Configure cloud-init?" is answered yes.

The password is typed masked (twice); a password already given (--ci-password-stdin, PVECTL_CI_PASSWORD) can be
kept without being shown. Key files are read and checked line by line as the flag does.
"""

from __future__ import annotations

from pydantic import SecretStr

from pvectl.prompts.ask import NONE, confirm, say, secret, text
from pvectl.prompts.live import image_storages
from pvectl.prompts.questions import Session, Target, ask_choice, ask_value
from pvectl.vm.cloudinit import CloudInit, CloudInitProblem, parse_ipconfig, read_key_file
from pvectl.vm.fields import CI_FIELDS

SPECS = {spec.path.removeprefix("cloudinit."): spec for spec in CI_FIELDS}


def ask_cloudinit(session: Session) -> None:
    ci = session.config.cloudinit
    if not confirm("Configure cloud-init?", ci.on):
        session.config.cloudinit = CloudInit()
        return
    ci.enabled = True
    say("-- Cloud-Init --")
    ask_value(session, Target(SPECS["user"]))
    _ask_password(ci)
    _ask_keys(ci)
    _ask_ipconfig(ci)
    ask_value(session, Target(SPECS["nameserver"]))
    ask_value(session, Target(SPECS["searchdomain"]))
    _ask_upgrade(ci)
    _ask_storage(session)


def _ask_password(ci: CloudInit) -> None:
    label = SPECS["password"].label
    if ci.secret is not None and confirm(f"{label}: one is set (not shown); keep it?", True):
        return
    while True:
        first = secret(f"{label} (empty: none)")
        if not first:
            ci.password = None
            return
        if secret(f"{label} again") == first:
            ci.password = SecretStr(first)  # validated on assignment: the redaction learns it
            return
        say("The two entries differ; again.")


def _ask_keys(ci: CloudInit) -> None:
    spec = SPECS["ssh_keys"]
    if ci.ssh_keys and confirm(f"{spec.label}: {len(_lines(ci.ssh_keys))} given; keep them?", True):
        return

    def validate(answer: str) -> bool | str:
        try:
            _read_keys(answer)
        except ValueError as exc:
            return str(exc)
        return True

    answer = text(f"{spec.label}: key files", "", validate, "(space-separated paths; empty: none)")
    ci.ssh_keys = _read_keys(answer)


def _lines(texts: list[str]) -> list[str]:
    return [line for t in texts for line in t.splitlines() if line.strip()]


def _read_keys(answer: str) -> list[str]:
    try:
        return [read_key_file(name) for name in answer.split()]
    except CloudInitProblem as exc:
        raise ValueError(str(exc)) from None


def _ask_ipconfig(ci: CloudInit) -> None:
    spec = SPECS["ipconfig"]

    def validate(answer: str) -> bool | str:
        try:
            parse_ipconfig([answer.strip()] if answer.strip() else [])
        except CloudInitProblem as exc:
            return str(exc).removeprefix("--ipconfig: ")
        return True

    answer = text(spec.label, ci.ipconfig.get(0, ""), validate, spec.help).strip()
    others = {k: v for k, v in ci.ipconfig.items() if k != 0}  # other NICs' settings (from flags) stay
    ci.ipconfig = {**parse_ipconfig([answer]), **others} if answer else others


def _ask_upgrade(ci: CloudInit) -> None:
    spec = SPECS["upgrade"]
    answer = confirm(f"{spec.label} ({spec.help.rstrip('.').lower()})?", ci.upgrade is not False)
    ci.upgrade = None if answer and ci.upgrade is None else answer  # unset: PVE's default (on)


def _ask_storage(session: Session) -> None:
    storages = image_storages(session)
    options = [(NONE, "(the first disk's)"), *((s.storage, f"{s.storage} ({s.type})") for s in storages)]
    ask_choice(session, Target(SPECS["storage"]), options, what=f"on {session.node}")

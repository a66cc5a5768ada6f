"""Cloud-init settings for a VM: the config keys, the cloud-init drive, and regenerating the image.

``sshkeys`` is the classic double-encoding trap: qemu-server's create_vm and update_vm (PVE::API2::Qemu) run
``URI::Escape::uri_unescape`` on the value before validating the keys and store the percent-encoded text in the
config (qm(1): "sshkeys: Setup public SSH keys (one key per line, OpenSSH format)", the GUI sends
``encodeURIComponent(keys)``). So the keys are percent-encoded here, and the form encoding of the request encodes
that text again. ``cipassword`` is a secret: it is only ever sent, never shown (PVE answers ``**********`` for it).

The password is never part of a create request: qemu-server hashes ``cipassword`` (PVE::Tools::encrypt_pw) in
``$update_vm_api`` only; create_vm writes the parameters to the config as given, so a password sent with the
create would be stored in clear text. ``vm create`` therefore sets it with a config update right after the
create task (the digest read just before guards it), as ``vm clone`` does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient

IPCONFIG = re.compile(r"(?:(\d+):)?((?:ip|gw|ip6|gw6)=[^\s]+)")
CLOUDINIT_SLOTS = ("ide2", "ide0", "ide1", "ide3", *(f"scsi{i}" for i in range(31)))
MASKED = "<hidden>"  # what plans and dry runs show for the password (qemu-server logs it so too)
NO_REGENERATE = "this PVE release cannot regenerate the cloud-init image on request: the next start does it"


class CloudInitProblem(ValueError):
    """Bad cloud-init input; the message names the flag."""


class CloudInit(BaseModel):
    """The cloud-init settings of one VM (the Cloud-Init step of ``vm create``, the flags of ``vm clone``).

    ``enabled`` adds the drive even without settings; any setting but the password turns it on (a password from
    PVECTL_CI_PASSWORD alone never does: it only fills in the password of cloud-init that was asked for).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    enabled: bool = False
    user: str | None = None
    password: SecretStr | None = Field(default=None, exclude=True, repr=False)  # never dumped, never printed
    ssh_keys: list[str] = Field(default_factory=list)  # the keys' text, one or more lines each
    ipconfig: dict[int, str] = Field(default_factory=dict)
    nameserver: str | None = None
    searchdomain: str | None = None
    upgrade: bool | None = None
    storage: str | None = None

    @field_validator("password", mode="after")
    @classmethod
    def _remember(cls, value: SecretStr | None) -> SecretStr | None:
        """Known by value to the one redaction mechanism: no trace, error or dump can show it."""
        if value is not None:
            from pvectl.sdk._core.redact import register_secret

            register_secret(value.get_secret_value())
        return value

    @property
    def secret(self) -> str | None:
        return None if self.password is None else self.password.get_secret_value() or None

    @property
    def on(self) -> bool:
        """Whether the VM gets cloud-init: asked for, or any setting given (the password needs one of them)."""
        return (
            self.enabled
            or bool(self.user or self.ssh_keys or self.ipconfig or self.nameserver)
            or (self.searchdomain is not None or self.upgrade is not None or self.storage is not None)
        )

    def params(self, *, password: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.user:
            out["ciuser"] = self.user
        if password and self.secret:
            out["cipassword"] = self.secret
        if self.ssh_keys:
            out["sshkeys"] = encode_sshkeys(joined_keys(self.ssh_keys))
        for index, value in sorted(self.ipconfig.items()):
            out[f"ipconfig{index}"] = value
        if self.nameserver:
            out["nameserver"] = self.nameserver
        if self.searchdomain:
            out["searchdomain"] = self.searchdomain
        if self.upgrade is not None:
            out["ciupgrade"] = 1 if self.upgrade else 0
        return out


def joined_keys(texts: list[str]) -> str:
    """Every non-empty line of every key text, one key per line, as PVE stores them."""
    return "\n".join(line for text in texts for line in text.splitlines() if line.strip()) + "\n"


def key_problem(line: str) -> str | None:
    """What PVE's key check (PVE::Tools::validate_ssh_public_keys runs ssh-keygen on every line) would refuse in
    one line of an OpenSSH public key file, checked before anything is sent; None when it reads as a key.

    The key's body is base64 of a blob that starts with the key type again: a body that does not decode, or
    names another type, is not a key (options before the type, as authorized_keys allows, are skipped)."""
    import base64
    import binascii

    fields = line.split()
    for i, kind in enumerate(fields[:-1]):
        if not re.fullmatch(r"(?:ssh|ecdsa|sk)-[\w@.-]+", kind):
            continue
        try:
            blob = base64.b64decode(fields[i + 1], validate=True)
        except (binascii.Error, ValueError):
            return f"the body of the {kind} key is not base64"
        size = int.from_bytes(blob[:4], "big")
        if blob[4 : 4 + size].decode("ascii", "replace") != kind:
            return f"the body of the {kind} key is not a {kind} key"
        return None
    return "not an OpenSSH public key (TYPE BASE64 [COMMENT])"


KEY_FILE_MAX = 64 * 1024  # an authorized_keys file of a hundred keys is ~60 KiB; one key is under 1 KiB


def read_key_file(path: str) -> str:
    """The text of a public key file, every line checked as a key (a private key given by mistake is refused
    without its text being shown); CloudInitProblem names the file and the line."""
    from pathlib import Path

    try:
        with Path(path).expanduser().open("rb") as handle:
            data = handle.read(KEY_FILE_MAX + 1)  # read only that far: --ssh-key /dev/zero read until memory ran out
        if len(data) > KEY_FILE_MAX:
            raise CloudInitProblem(f"{path} is larger than {KEY_FILE_MAX // 1024} KiB: not a public key file")
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CloudInitProblem(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise CloudInitProblem(f"{path} holds no key")
    for n, line in lines:
        problem = key_problem(line)
        if problem:
            raise CloudInitProblem(f"{path} line {n}: {problem}")
    return text


def encode_sshkeys(keys: str) -> str:
    """Percent-encode like JavaScript's encodeURIComponent (what the GUI sends; PVE unescapes it)."""
    return quote(keys, safe="-_.!~*'()")


def parse_ipconfig(values: list[str]) -> dict[int, str]:
    """``--ipconfig [N:]ip=dhcp|ip=CIDR,gw=IP[,ip6=…]``: N (default 0, then the next) is the netN it configures."""
    out: dict[int, str] = {}
    for value in values:
        index_text, _, rest = value.partition(":") if re.match(r"\d+:", value) else ("", "", value)
        parts = rest.split(",")
        if not rest or not all(IPCONFIG.fullmatch(p) for p in parts):
            raise CloudInitProblem(f"--ipconfig: expected [N:]ip=dhcp|ip=CIDR[,gw=IP][,ip6=...], got '{value}'")
        index = int(index_text) if index_text else (max(out) + 1 if out else 0)
        out[index] = rest
    return out


def cloudinit_drive(config: Mapping[str, Any]) -> str | None:
    """The key of the VM's cloud-init drive, or None."""
    for key, value in config.items():
        if re.fullmatch(r"(ide|sata|scsi)\d+", key) and "cloudinit" in str(value).split(",", 1)[0]:
            return key
    return None


def first_disk_storage(config: Mapping[str, Any]) -> str | None:
    """The storage of the first data disk (EFI vars and TPM state may sit elsewhere), else of any disk."""
    from pvectl.vm.clone import disk_storages

    data = {k: v for k, v in config.items() if not k.startswith(("efidisk", "tpmstate"))}
    storages = disk_storages(data) or disk_storages(config)
    return storages[0] if storages else None


def free_slot(config: Mapping[str, Any]) -> str:
    for key in CLOUDINIT_SLOTS:
        if key not in config:
            return key
    raise CloudInitProblem("no free ide/scsi slot for the cloud-init drive")


def requests(config: Mapping[str, Any], node: str, vmid: int, ci: CloudInit) -> list[dict[str, Any]]:
    """The writes that apply ``ci`` to a VM whose config is ``config``: one config update (adding the drive
    when missing) and the image regeneration."""
    params = ci.params()
    if cloudinit_drive(config) is None:
        storage = ci.storage or first_disk_storage(config)
        if storage is None:
            raise CloudInitProblem("--cloudinit-storage: the VM has no disk to take the storage from; name one")
        params[free_slot(config)] = f"{storage}:cloudinit"
    digest = config.get("digest")
    if digest:
        params["digest"] = digest  # PVE refuses the write when someone changed the config meanwhile
    base = f"/nodes/{node}/qemu/{vmid}"
    return [
        {"method": "PUT", "path": f"{base}/config", "params": params},
        {"method": "PUT", "path": f"{base}/cloudinit", "params": {}},
    ]


def regenerate_supported(server_version: str | None) -> bool:
    """Whether the server has ``PUT …/cloudinit`` (the version table; unknown versions: assume yes)."""
    if not server_version:
        return True
    from pvectl.sdk import _versions
    from pvectl.sdk._core.versions import check_supported

    key = "PUT /nodes/{node}/qemu/{vmid}/cloudinit"
    return check_supported(key, [], server_version, _versions.RELEASES, _versions.TABLE) is None


def apply(client: ProxmoxClient, node: str, vmid: int, ci: CloudInit) -> list[str]:
    """Write ``ci``; returns notes for the user (e.g. that the next start regenerates the image)."""
    from pvectl.sdk._core.answers import as_object

    path = f"/nodes/{node}/qemu/{vmid}/config"
    vm = client.nodes(node).qemu(vmid)
    config = as_object(f"GET {path}", vm.config.get())
    config_write = requests(config, node, vmid, ci)[0]
    vm.config.set(**config_write["params"])  # PUT …/config
    if regenerate_supported(client.server_version):
        vm.cloudinit.set()  # PUT …/cloudinit: regenerate the image
        return []
    return [NO_REGENERATE]


def create_drive(params: Mapping[str, Any], ci: CloudInit, first_storage: str | None) -> tuple[str, str]:
    """The cloud-init drive of a new VM: (the first free slot among ``params``' drives, ``STORAGE:cloudinit``).

    qemu-server's create_vm allocates ``vm-VMID-cloudinit`` for a ``STORAGE:cloudinit`` drive ($create_disks in
    PVE::API2::Qemu) and attaches it as a CD-ROM, so the drive goes into the create request itself.
    """
    storage = ci.storage or first_storage
    if storage is None:
        raise CloudInitProblem("--cloudinit-storage: the VM has no disk to take the storage from; name one")
    return free_slot(params), f"{storage}:cloudinit"


def set_password(client: ProxmoxClient, node: str, vmid: int, secret: str) -> None:
    """``cipassword`` by a config update (PVE hashes it there), guarded by the digest of the config read just
    before."""
    from pvectl.sdk._core.answers import as_object

    path = f"/nodes/{node}/qemu/{vmid}/config"
    vm = client.nodes(node).qemu(vmid)
    config = as_object(f"GET {path}", vm.config.get())
    params: dict[str, Any] = {"cipassword": secret}
    digest = str(config.get("digest") or "")
    if digest:
        params["digest"] = digest
    vm.config.set(**params)


# -- the VM file (``vm create --from-file``, ``--dry-run -o yaml``): flat keys named like the flags --------------

FILE_KEYS = ("cloud-init", "ci-user", "ssh-key", "ipconfig", "nameserver", "searchdomain", "ci-upgrade",
             "cloudinit-storage")  # fmt: skip
NOT_FROM_FILES = "a secret is never read from a file: use --ci-password, --ci-password-stdin or PVECTL_CI_PASSWORD"
_FILE_ATTRS = {"cloud-init": "enabled", "ci-user": "user", "nameserver": "nameserver",
               "searchdomain": "searchdomain", "ci-upgrade": "upgrade", "cloudinit-storage": "storage"}  # fmt: skip


class CloudInitFileError(ValueError):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def to_file(ci: CloudInit) -> dict[str, Any]:
    """The flat file keys of ``ci`` (nothing when cloud-init is off; never the password)."""
    if not ci.on:
        return {}
    out: dict[str, Any] = {"cloud-init": True}
    for key, attr in _FILE_ATTRS.items():
        value = getattr(ci, attr)
        if key != "cloud-init" and value is not None:
            out[key] = value
    if ci.ssh_keys:
        out["ssh-key"] = [line for text in ci.ssh_keys for line in text.splitlines() if line.strip()]
    if ci.ipconfig:
        out["ipconfig"] = [f"{index}:{value}" for index, value in sorted(ci.ipconfig.items())]
    return out


def from_file(data: Mapping[str, Any], base: CloudInit) -> CloudInit:
    """``base`` with the file's cloud-init keys over it; CloudInitFileError names the key."""
    from pydantic import ValidationError

    if "ci-password" in data:
        raise CloudInitFileError("ci-password", NOT_FROM_FILES)
    out = base.model_copy(deep=True)
    for key, attr in _FILE_ATTRS.items():
        if data.get(key) is not None:
            try:
                setattr(out, attr, data[key])
            except ValidationError as exc:
                from pvectl.guest.validation_text import plain_validation

                raise CloudInitFileError(key, plain_validation(exc.errors()[0]["msg"])) from None
    if data.get("ssh-key") is not None:
        keys = data["ssh-key"] if isinstance(data["ssh-key"], list) else [data["ssh-key"]]
        for key in keys:
            if not isinstance(key, str) or len(key.split()) < 2:
                why = f"expected a public key's text (TYPE BASE64 [COMMENT]), got {key!r}"
                raise CloudInitFileError("ssh-key", why)
        out.ssh_keys = list(keys)
    if data.get("ipconfig") is not None:
        value = data["ipconfig"]
        items = [f"{k}:{v}" for k, v in value.items()] if isinstance(value, Mapping) else value
        try:
            out.ipconfig = parse_ipconfig([str(i) for i in (items if isinstance(items, list) else [items])])
        except CloudInitProblem as exc:
            raise CloudInitFileError("ipconfig", str(exc).removeprefix("--ipconfig: ")) from None
    if data.get("cloud-init") is False and out.on:
        raise CloudInitFileError("cloud-init", "false, but other cloud-init keys are given")
    return out

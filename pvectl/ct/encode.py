"""CtConfig -> the exact parameters of ``POST /nodes/{node}/lxc`` (pve-container src/PVE/API2/LXC.pm create_vm).

Mount points are ``STORAGE:SIZE`` (GiB: create_vm allocates a new volume), NICs ``netN`` as LXC/Config.pm's
network format, features as its ``features`` property string (``mount=nfs;cifs``). The password and the SSH keys
go into the create call itself: create_vm hands both to the setup code after unpacking (``post_create_hook``).
"""

from __future__ import annotations

from pvectl.ct.config import MASKED, CtConfig, MountPoint, Net

CREATE = "POST /nodes/{node}/lxc"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def rootfs(config: CtConfig) -> str:
    return f"{config.rootfs.storage}:{_num(config.rootfs.size_gib)}"


def mountpoint(mp: MountPoint) -> str:
    out = f"{mp.storage}:{_num(mp.size_gib)},mp={mp.path}"
    if mp.backup is not None:
        out += f",backup={int(mp.backup)}"
    if mp.ro:
        out += ",ro=1"
    return out


def net(n: Net, index: int) -> str:
    parts = [f"name={n.name or f'eth{index}'}", f"bridge={n.bridge}", f"firewall={int(n.firewall)}"]
    for key in ("hwaddr", "ip", "gw", "ip6", "gw6", "tag", "mtu", "rate"):
        value = getattr(n, key)
        if value is not None:
            parts.append(f"{key}={_num(value) if isinstance(value, float) else value}")
    return ",".join(parts)


def features(config: CtConfig) -> str | None:
    f = config.features
    parts = [f"{key}=1" for key, on in (("fuse", f.fuse), ("keyctl", f.keyctl), ("mknod", f.mknod)) if on]
    if f.mount:
        parts.append("mount=" + ";".join(f.mount))
    if config.nesting:
        parts.append("nesting=1")
    return ",".join(sorted(parts)) or None


def create_params(config: CtConfig, *, masked: bool = False) -> dict[str, str]:
    """The create call's parameters for a resolved config (node, vmid, template volume and storage known)."""
    if config.vmid is None or config.template is None or config.rootfs.storage is None:
        raise ValueError("resolve the id, the template and the root disk's storage before encoding")
    params: dict[str, str] = {
        "vmid": str(config.vmid),
        "ostemplate": config.template,
        "hostname": config.hostname or f"CT{config.vmid}",
        "unprivileged": str(int(config.unprivileged)),
        "rootfs": rootfs(config),
        "memory": str(config.memory),
        "swap": str(config.swap),
    }
    if config.cores is not None:
        params["cores"] = str(config.cores)
    for key in ("cpulimit", "cpuunits"):
        value = getattr(config, key)
        if value is not None:
            params[key] = _num(value)
    for i, mp in enumerate(config.mountpoints):
        params[f"mp{i}"] = mountpoint(mp)
    for i, n in enumerate(config.nets):
        params[f"net{i}"] = net(n, i)
    feats = features(config)
    if feats:
        params["features"] = feats
    for key in ("nameserver", "searchdomain", "pool", "description", "ostype"):
        value = getattr(config, key)
        if value:
            params[key] = str(value)
    if config.tags:
        params["tags"] = ";".join(config.tags)
    if config.onboot:
        params["onboot"] = "1"
    if config.password is not None:
        params["password"] = MASKED if masked else config.password
    if config.ssh_keys:
        params["ssh-public-keys"] = config.ssh_keys
    for key, value in config.extra.items():
        params[key] = str(int(value)) if isinstance(value, bool) else str(value)
    return params

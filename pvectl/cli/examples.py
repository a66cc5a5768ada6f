"""The Examples section of every curated command's help, and the note about global options.

One table, keyed by the command path after ``pvectl``; :func:`decorate` puts the sections into a command tree as
its modules load (pvectl/cli/lazy.py). A new curated command adds its examples here (tests/cli/test_help.py checks
that every curated command has some).
"""

from __future__ import annotations

from typing import Any

EXAMPLES: dict[str, tuple[str, ...]] = {
    "": (
        "pvectl config add lab --host pve1.example.com --user root@pam --use",
        "pvectl vm list -o wide --sort-by name",
        "pvectl --sim vm create --name web3 --memory 4096",
    ),
    "api": (
        "pvectl api --list -o json",
        "pvectl api nodes qemu list --node pve1 --query '[].name'",
        "pvectl api get /cluster/resources --type vm",
    ),
    "api get": ("pvectl api get /nodes/pve1/qemu", "pvectl api get /cluster/resources --type vm -o yaml"),
    "api set": ("pvectl api set /nodes/pve1/qemu/100/config --memory 4096",),
    "api create": (
        "pvectl api create /nodes/pve1/qemu/100/status/start",
        "pvectl api create /nodes/pve1/qemu/100/status/stop --no-wait",
    ),
    "api delete": ("pvectl api delete /nodes/pve1/qemu/100 --purge 1",),
    "api usage": ("pvectl api usage /nodes/pve1/qemu", "pvectl api usage /nodes/{node}/qemu --command POST"),
    "completion": ('eval "$(pvectl completion show bash)"', "pvectl completion install zsh"),
    "completion show": ('eval "$(pvectl completion show bash)"', "pvectl completion show fish > pvectl.fish"),
    "completion install": ("pvectl completion install bash",),
    "config": ("pvectl config list", "pvectl config use lab"),
    "config list": ("pvectl config list", 'pvectl config list -o json --query "[?current].name"'),
    "config show": ("pvectl config show", "pvectl config show lab -o yaml"),
    "config use": ("pvectl config use lab",),
    "config set": ("pvectl config set lab node=pve2 insecure=false", "pvectl config set lab token-secret=-"),
    "config delete": ("pvectl config delete old-lab",),
    "config add": (
        "pvectl config add lab --host pve1.example.com --user root@pam --use",
        "pvectl config add ci --host 10.0.0.5 --user ci@pve --token-id ci",
    ),
    "login": ("pvectl login", "pvectl -c lab login --otp 123456"),
    "logout": ("pvectl logout", "pvectl logout --all"),
    "backup": ("pvectl backup create -l tag=prod --storage nfs", "pvectl backup list --vm dns1"),
    "backup create": (
        "pvectl backup create dns1 --storage nfs",
        "pvectl backup create -l tag=prod --storage nfs --dry-run",
        "pvectl backup create 100 --storage nfs --notes-template '{{guestname}}'",
        "pvectl backup create --all --storage pbs --mode snapshot -o json",
    ),
    "backup list": (
        "pvectl backup list",
        "pvectl backup list --vm dns1 --storage nfs -o wide",
        "pvectl backup list -o json --query '[?protected].volid'",
    ),
    "backup show": ("pvectl backup show nfs:backup/vzdump-qemu-100-2025_01_31-02_00_00.vma.zst",),
    "backup restore": (
        'pvectl backup restore "$VOLID" --vmid 150 --unique',
        "pvectl backup restore pbs:backup/vm/100/2025-01-31T02:00:00Z --force",
    ),
    "backup protect": ("pvectl backup protect nfs:backup/vzdump-qemu-100-2025_01_31-02_00_00.vma.zst",),
    "backup unprotect": ("pvectl backup unprotect nfs:backup/vzdump-qemu-100-2025_01_31-02_00_00.vma.zst",),
    "backup notes": ("pvectl backup notes \"$VOLID\" 'before the upgrade'",),
    "backup delete": ('pvectl backup delete "$VOLID" --yes',),
    "backup prune": (
        "pvectl backup prune dns1 --keep-last 3 --keep-daily 7 --dry-run",
        "pvectl backup prune -l tag=prod --storage nfs --yes",
    ),
    "backup job": ("pvectl backup job list", "pvectl backup job uncovered"),
    "backup job list": ("pvectl backup job list -o json",),
    "backup job show": ("pvectl backup job show backup-7f3c2a1e",),
    "backup job run": ("pvectl backup job run backup-7f3c2a1e --dry-run",),
    "backup job uncovered": ("pvectl backup job uncovered",),
    "apply": (
        "pvectl apply -f web.yaml --dry-run",
        "pvectl apply -f fleet.yaml --label tag=fleet --prune -l tag=fleet --parallel 8",
    ),
    "diff": (
        "pvectl diff -f web.yaml",
        "pvectl vm export web1 | pvectl diff -f - -o json",
        "pvectl ct export ns1 | pvectl diff -f -",
    ),
    "sim": ("pvectl sim serve", "pvectl --sim vm list"),
    "sim serve": ("pvectl sim serve --port 8006", "pvectl sim serve --seed world.yaml --faults task-slow:seconds=5"),
    "sim reset": ("pvectl sim reset", "pvectl sim reset --seed world.yaml", "pvectl sim reset --seed examples"),
    "sim status": ("pvectl sim status", "pvectl sim status -o json"),
    "sim example-seed": ("pvectl sim example-seed > world.yaml",),
    "sim faults": ("pvectl sim faults clear",),
    "sim faults clear": (
        "pvectl sim faults clear",
        "PVECTL_SIM_FAULTS='task-slow:seconds=5' pvectl --sim vm start web1",
    ),
    "task": ("pvectl task list --running", "pvectl task wait UPID:pve1:..."),
    "task list": ("pvectl task list", "pvectl task list --node pve1 --running -o wide"),
    "task show": ("pvectl task show UPID:pve1:000A1B2C:...",),
    "task wait": ('pvectl task wait "$(pvectl vm start web1 --no-wait)"',),
    "task log": ("pvectl task log UPID:pve1:000A1B2C:...",),
    "guest": ("pvectl guest list", "pvectl guest list --kind ct --status running -o json"),
    "guest list": ("pvectl guest list", "pvectl guest list --node pve1 -o json"),
    "ct": ("pvectl ct list", "pvectl ct create --node pve1 --hostname app1 --template debian-12"),
    "ct create": (
        "pvectl ct create --node pve1 --hostname app1 --template debian-12 --start",
        "pvectl ct create --node pve1 --template debian-13 --pull --net bridge=vmbr0",
        "pvectl ct create --from-file ct1.yaml --dry-run -o json",
        "pvectl ct create --node pve1 --template alpine --pull --wait ip",
    ),
    "ct list": (
        "pvectl ct list",
        "pvectl ct list --node pve1 --status running -o json",
        "pvectl ct list -l tag=infra -o wide",
    ),
    "ct show": ("pvectl ct show web1", "pvectl ct show 200 -o yaml"),
    "ct start": (
        "pvectl ct start web1",
        "IP=$(pvectl ct start web1 --wait ip)",
        "pvectl ct start -l tag=lab --parallel 8 -o json",
    ),
    "ct stop": ("pvectl ct stop web1", "pvectl ct stop -l tag=lab --dry-run"),
    "ct shutdown": ("pvectl ct shutdown web1", "pvectl ct shutdown --node pve1 --all --yes"),
    "ct reboot": ("pvectl ct reboot web1",),
    "ct suspend": ("pvectl ct suspend web1",),
    "ct resume": ("pvectl ct resume web1",),
    "ct delete": ("pvectl ct delete web1 --yes", "pvectl ct delete -l tag=scratch --yes"),
    "ct clone": ("pvectl ct clone web1 --hostname web2", "pvectl ct clone tmpl --linked --newid 300"),
    "ct migrate": ("pvectl ct migrate web1 --to pve2 --timeout 60", "pvectl ct migrate -l tag=web --to pve3"),
    "ct resize": ("pvectl ct resize web1 rootfs +4G", "pvectl ct resize web1 mp0 64G --dry-run"),
    "ct set": ("pvectl ct set web1 --memory 2048 --cores 2", "pvectl ct set web1 --ostype ubuntu --reboot"),
    "ct snapshot": ("pvectl ct snapshot list web1", "pvectl ct snapshot create -l tag=db nightly --keep 7"),
    "ct snapshot create": (
        "pvectl ct snapshot create web1 before-upgrade",
        "pvectl ct snapshot create -l tag=db nightly --keep 7",
    ),
    "ct snapshot list": ("pvectl ct snapshot list web1", "pvectl ct snapshot list 200 -o json"),
    "ct snapshot rollback": ("pvectl ct snapshot rollback web1 before-upgrade --start",),
    "ct snapshot delete": ("pvectl ct snapshot delete web1 before-upgrade",),
    "ct template convert": ("pvectl ct template convert web1", "pvectl ct clone web1 --linked"),
    "ct pending": ("pvectl ct pending web1", "pvectl ct pending 200 --all -o json"),
    "ct export": ("pvectl ct export web1 > web1.yaml", "pvectl ct export 200 -o json"),
    "ct console": ("pvectl ct console web1", "echo 'uname -a' | pvectl ct console 200"),
    "ct template": ("pvectl ct template list", "pvectl ct template pull debian-13 --node pve1"),
    "ct template list": ("pvectl ct template list --node pve1", "pvectl ct template list --available"),
    "ct template pull": (
        "pvectl ct template pull debian-13 --node pve1",
        "pvectl ct template pull alpine --storage local --dry-run",
    ),
    "vm": ("pvectl vm list", "pvectl vm create --name web3 --memory 4096"),
    "vm create": (
        "pvectl vm create --name web3 --memory 4096 --cores 4 --disk scsi0:ceph-pool:64",
        "pvectl vm create --from-file web1.yaml --dry-run -o yaml",
        "pvectl vm create -i",
        "pvectl vm create --name app1 --ci-user admin --ssh-key id.pub --wait ip",
    ),
    "vm list": (
        "pvectl vm list",
        "pvectl vm list --status running -o wide --sort-by name",
        "pvectl vm list -o json",
        "pvectl vm list -l tag=web,tag!=lab --pool prod",
    ),
    "vm show": ("pvectl vm show web1", "pvectl vm show 100 -o yaml --query memory"),
    "vm start": (
        "pvectl vm start web1",
        "IP=$(pvectl vm start web1 --wait ip)",
        "pvectl vm start 100 --no-wait",
        "pvectl vm start -l tag=web --parallel 8",
    ),
    "vm stop": ("pvectl vm stop web1", "pvectl vm stop -l tag=lab,tag!=keep --dry-run", "pvectl vm stop --all --yes"),
    "vm shutdown": ("pvectl vm shutdown web1", "pvectl vm shutdown --node pve1 --name 'web-*' --yes -o json"),
    "vm suspend": ("pvectl vm suspend web1", "pvectl vm suspend -l tag=lab --yes"),
    "vm resume": ("pvectl vm resume web1", "pvectl vm resume -l tag=lab"),
    "vm reboot": ("pvectl vm reboot web1", "pvectl vm reboot --pool prod --status running --yes"),
    "vm delete": (
        "pvectl vm delete scratch --yes",
        "pvectl vm delete 100 --yes --purge",
        "pvectl vm delete -l tag=scratch",
    ),
    "vm migrate": (
        "pvectl vm migrate web1 --to pve2",
        "pvectl vm migrate -l tag=web --to pve3 --with-local-disks --dry-run",
    ),
    "node": ("pvectl node list", "pvectl node drain pve1 --dry-run"),
    "node list": ("pvectl node list", "pvectl node list -o json --query '[].node'"),
    "node show": ("pvectl node show pve1", "pvectl node show pve1 -o yaml"),
    "node drain": (
        "pvectl node drain pve1 --dry-run",
        "pvectl node drain pve1 --to pve2 --to pve3 --yes",
        "pvectl node drain pve1 --ct-timeout 60 --yes",
    ),
    "vm resize": ("pvectl vm resize web1 scsi0 +10G", "pvectl vm resize 100 virtio1 64G"),
    "vm export": ("pvectl vm export web1 > web1.yaml", "pvectl vm export 100 -o json"),
    "vm set": (
        "pvectl vm set web1 --memory 8192 --cores 4 --dry-run",
        "pvectl vm set 100 --disk scsi1:local-lvm:100 --remove net1 --reboot",
        "pvectl vm set web1 --disk scsi0:ceph-pool:64 -o json",
    ),
    "vm pending": ("pvectl vm pending web1", "pvectl vm pending 100 --all -o json"),
    "vm snapshot": ("pvectl vm snapshot list web1", "pvectl vm snapshot create -l tag=prod pre-upgrade"),
    "vm snapshot create": (
        "pvectl vm snapshot create web1 before-upgrade --description 'kernel 6.8'",
        "pvectl vm snapshot create -l tag=prod nightly --keep 7 --parallel 4",
    ),
    "vm snapshot list": ("pvectl vm snapshot list web1", "pvectl vm snapshot list 100 -o json"),
    "vm snapshot rollback": (
        "pvectl vm snapshot rollback web1 before-upgrade --yes",
        "pvectl vm snapshot rollback 100 nightly-20261127-020000 --yes --start",
    ),
    "vm snapshot delete": (
        "pvectl vm snapshot delete web1 before-upgrade --yes",
        "pvectl vm snapshot delete -l tag=prod pre-upgrade --dry-run",
    ),
    "vm clone": (
        "pvectl vm clone debian-12-cloud web2 --start --wait ip",
        "pvectl vm clone 9000 db1 --full --storage ceph-pool --target pve2",
        "pvectl vm clone web1 web1-copy --dry-run",
        "pvectl vm clone 9000 app1 --ci-user admin --ssh-key id.pub --wait ip",
    ),
    "vm template": ("pvectl vm template golden --yes", "pvectl vm template 9000 --yes -o json"),
    "vm wait": (
        "pvectl vm wait web1 --for ip",
        "pvectl vm wait 100 --for agent --timeout 2m",
        "pvectl vm wait web1 --for status=stopped",
    ),
    "vm exec": (
        "pvectl vm exec web1 -- cat /etc/os-release",
        "pvectl vm exec 100 --input script.sh -- sh",
        "pvectl vm exec web1 -o json -- hostname",
    ),
    "vm console": (
        "pvectl vm console web1",
        "pvectl vm console 100 --serial serial1",
        "printf 'root\\n' | pvectl vm console web1",
    ),
    "vm serial-console": ("pvectl vm serial-console enable web1",),
    "vm serial-console enable": ("pvectl vm serial-console enable web1",),
}

GLOBAL_NOTE = (
    "Global options (-o/--output, --query, --columns, --sort-by, --no-headers, -c/--context, -v, --sim, --host, "
    "TLS and login options; see pvectl --help) work before or after the command."
)


def first_sentence(text: str) -> str:
    """The first sentence of a help text (up to a full stop followed by a space, or the first paragraph)."""
    paragraph = " ".join(text.strip().split("\n\n", 1)[0].split())
    head, sep, _ = paragraph.partition(". ")
    return head + "." if sep else paragraph


def format_epilog(command: Any, formatter: Any) -> None:
    """Click's epilog slot: an Examples section (commands as typed, never re-wrapped) and the global-options note."""
    examples, note = command.pvectl_epilog
    if examples:
        with formatter.section("Examples"):
            formatter.write("".join(f"{' ' * formatter.current_indent}{line}\n" for line in examples))
    if note:
        formatter.write_paragraph()
        formatter.write_text(note)


def decorate(command: Any, path: str, note: str = GLOBAL_NOTE) -> None:
    """Give ``command`` and its subcommands (a curated tree) their Examples and the global-options note."""
    command.pvectl_epilog = (EXAMPLES.get(path, ()), note)
    if not command.short_help and command.help:
        command.short_help = first_sentence(command.help)  # listed whole (wrapped), never cut mid-sentence
    for name, sub in (getattr(command, "commands", None) or {}).items():
        decorate(sub, f"{path} {name}".strip(), note)


def install() -> None:
    """Route Click's ``format_epilog`` through :func:`format_epilog` for commands that :func:`decorate` marked."""
    from typer._click.core import Command

    original = Command.format_epilog
    if getattr(original, "_pvectl", False):
        return

    def patched(self: Any, ctx: Any, formatter: Any) -> None:
        if getattr(self, "pvectl_epilog", None) is not None:
            format_epilog(self, formatter)
        else:
            original(self, ctx, formatter)

    patched._pvectl = True  # type: ignore[attr-defined]
    Command.format_epilog = patched  # type: ignore[method-assign]

"""Download a container template (``POST /nodes/{node}/aplinfo``, a ``download`` task) and say what happened.

Never sent twice: after an ambiguous answer the storage is asked whether the file is there, and the node's task
list whether a download of it runs (then it is followed). ``None`` means the template is on the storage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pvectl.guest.outcome import Outcome, OutcomeKind, follow
from pvectl.guest.wire import typed
from pvectl.sdk import ApiError, PveError, TaskFailed, TaskTimeout
from pvectl.sdk._core.answers import UnexpectedAnswer, plain
from pvectl.sdk._core.task import Task, TaskLost
from pvectl.sdk._core.upid import is_upid
from pvectl.vm import reconcile
from pvectl.vm.submit import Event

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.plan import PlannedRequest


def _present(client: ProxmoxClient, node: str, storage: str, template: str) -> bool | None:
    try:
        rows = plain(client.nodes(node).storage(storage).content.list(content="vztmpl"))
    except PveError:
        return None
    volid = f"{storage}:vztmpl/{template}"
    return isinstance(rows, list) and any(isinstance(r, Mapping) and r.get("volid") == volid for r in rows)


def _running_download(client: ProxmoxClient, node: str, template: str) -> str | None:
    try:
        rows = plain(client.nodes(node).tasks.list(typefilter="download", source="active"))
    except PveError:
        return None
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, Mapping) and row.get("id") == template and is_upid(row.get("upid")):
            return str(row["upid"])
    return None


def _outcome(kind: OutcomeKind, vmid: None, node: str, message: str, **fields: Any) -> Outcome:
    return Outcome(kind, vmid, node, message, guest="lxc", action="template download", **fields)


def pull(
    client: ProxmoxClient,
    request: PlannedRequest,
    vmid: int,
    *,
    on_event: Callable[[Event], None] | None = None,
    timeout: float | None = 600,
) -> Outcome | None:
    """Run the download; an Outcome (nothing created: no container was asked for) when it did not end well."""
    emit = on_event or (lambda event: None)
    node = request.path.split("/")[2]
    storage, template = str(request.params["storage"]), str(request.params["template"])
    emit(Event("pull", "running", request.purpose))
    upid: str | None = None
    try:
        answer = typed(client.nodes(node).aplinfo.create, request.params)  # request: POST /nodes/{node}/aplinfo
        if not isinstance(answer, str) or not is_upid(answer):
            raise UnexpectedAnswer(f"{request.method} {request.path}", answer, "a task id (UPID)")
        upid = answer
    except (PveError, KeyboardInterrupt) as exc:
        if not reconcile.ambiguous(exc):
            message = exc.message if isinstance(exc, ApiError) else str(exc)
            emit(Event("pull", "failed", message))
            return _outcome(
                "nothing-created", None, node, f"the template download was refused: {message}; no CT was created"
            )
        upid = _running_download(client, node, template)
        if upid is None:
            if _present(client, node, storage, template):
                emit(Event("pull", "done", f"{template} is on {storage}"))
                return None
            emit(Event("pull", "failed", reconcile.describe_loss(exc)))
            return _outcome(
                "interrupted" if isinstance(exc, KeyboardInterrupt) else "unknown",
                None,
                node,
                f"the template download may or may not have started ({reconcile.describe_loss(exc)}); no CT was"
                " created",
                remedies=[f"pvectl ct template list --node {node}", f"pvectl task list --node {node}"],
            )
    try:
        Task(client, upid).wait(timeout=timeout)
    except TaskFailed as exc:
        emit(Event("pull", "failed", exc.exitstatus))
        return _outcome(
            "task-failed",
            None,
            node,
            f"template download failed: {exc.exitstatus}; no CT was created",
            upid=upid,
            log_tail=exc.log_tail,
        )
    except (TaskLost, TaskTimeout, PveError) as exc:
        emit(Event("pull", "failed", str(exc)))
        return _outcome(
            "unknown",
            None,
            node,
            f"the template download goes on on the server ({exc}); no CT was created yet",
            upid=upid,
            remedies=[follow(upid)],
        )
    except KeyboardInterrupt:
        return _outcome(
            "interrupted",
            None,
            node,
            f"interrupted: the template download goes on on the server ({upid}); no CT was created",
            upid=upid,
            remedies=[follow(upid)],
        )
    emit(Event("pull", "done", f"{template} downloaded to {storage}"))
    return None

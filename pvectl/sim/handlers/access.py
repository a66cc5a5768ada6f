"""``/access``: login tickets, realms, users."""

from __future__ import annotations

from typing import Any

from pvectl.sim import auth
from pvectl.sim.routes import Ctx, route
from pvectl.sim.wire import ApiFail

USER_FIELDS = ("comment", "email", "firstname", "lastname", "expire", "enable", "groups", "keys")


@route("POST /access/ticket")
def login(ctx: Ctx) -> dict[str, Any]:
    username = ctx.text("username") or ""
    realm = ctx.text("realm")
    if "@" not in username:
        username = f"{username}@{realm or 'pam'}"
    password = ctx.text("password") or ""
    state = ctx.state
    # A valid ticket given as the password renews it (PVE's ticket refresh).
    renewed = auth.check_ticket(state, password, ctx.now) == username
    if not renewed and not auth.check_password(state, username, password):
        raise ApiFail(401, "authentication failure")
    ticket, csrf = auth.issue_ticket(state, username, ctx.now)
    return {
        "username": username,
        "ticket": ticket,
        "CSRFPreventionToken": csrf,
        "clustername": state["cluster"],
        "cap": {"vms": {"VM.Allocate": 1}, "nodes": {"Sys.Audit": 1}, "access": {"User.Modify": 1}},
    }


@route("GET /access/ticket")
def login_form(ctx: Ctx) -> None:
    return None


@route("GET /access/domains")
def domains(ctx: Ctx) -> list[dict[str, Any]]:
    return [dict(r) for r in ctx.state["realms"]]


def _user_entry(userid: str, entry: dict[str, Any], full: bool) -> dict[str, Any]:
    realm = userid.rsplit("@", 1)[1]
    out = {"userid": userid, "realm-type": realm, "enable": entry.get("enable", 1), "expire": entry.get("expire", 0)}
    out.update({k: entry[k] for k in USER_FIELDS if k in entry})
    if full:
        out["tokens"] = [
            {"tokenid": tid, "comment": t.get("comment", ""), "expire": 0, "privsep": t.get("privsep", 1)}
            for tid, t in entry.get("tokens", {}).items()
        ]
    return out


@route("GET /access/users")
def users(ctx: Ctx) -> list[dict[str, Any]]:
    enabled = ctx.text("enabled")
    return [
        _user_entry(uid, e, ctx.flag("full"))
        for uid, e in sorted(ctx.state["users"].items())
        if enabled is None or str(e.get("enable", 1)) == enabled
    ]


def _user(ctx: Ctx) -> dict[str, Any]:
    userid = ctx.path["userid"]
    entry = ctx.state["users"].get(userid)
    if entry is None:
        raise ApiFail(500, f"no such user ('{userid}')")
    found: dict[str, Any] = entry
    return found


@route("GET /access/users/{userid}")
def user(ctx: Ctx) -> dict[str, Any]:
    out = _user_entry(ctx.path["userid"], _user(ctx), full=False)
    out["tokens"] = {tid: {"comment": t.get("comment", "")} for tid, t in _user(ctx).get("tokens", {}).items()}
    return out


@route("POST /access/users")
def create_user(ctx: Ctx) -> None:
    userid = ctx.text("userid") or ""
    realm = userid.rsplit("@", 1)[-1]
    if realm not in {r["realm"] for r in ctx.state["realms"]}:
        raise ApiFail(500, f"create user failed: domain '{realm}' does not exist")
    if userid in ctx.state["users"]:
        raise ApiFail(500, f"create user failed: user '{userid}' already exists")
    entry: dict[str, Any] = {"enable": 1, "tokens": {}}
    for key in (*USER_FIELDS, "password"):
        if key in ctx.params:
            entry[key] = int(ctx.text(key) or 0) if key in ("enable", "expire") else ctx.text(key)
    ctx.state["users"][userid] = entry


@route("PUT /access/users/{userid}")
def update_user(ctx: Ctx) -> None:
    entry = _user(ctx)
    for key in USER_FIELDS:
        if key in ctx.params:
            entry[key] = int(ctx.text(key) or 0) if key in ("enable", "expire") else ctx.text(key)


@route("DELETE /access/users/{userid}")
def delete_user(ctx: Ctx) -> None:
    _user(ctx)
    if ctx.path["userid"] == "root@pam":
        raise ApiFail(500, "delete user failed: cannot delete user 'root@pam'")
    del ctx.state["users"][ctx.path["userid"]]


@route("GET /access/users/{userid}/token")
def tokens(ctx: Ctx) -> list[dict[str, Any]]:
    return [
        {"tokenid": tid, "comment": t.get("comment", ""), "expire": 0, "privsep": t.get("privsep", 1)}
        for tid, t in _user(ctx).get("tokens", {}).items()
    ]


@route("PUT /access/password")
def change_password(ctx: Ctx) -> None:
    userid = ctx.text("userid") or ""
    if userid not in ctx.state["users"]:
        raise ApiFail(500, f"no such user ('{userid}')")
    ctx.state["users"][userid]["password"] = ctx.text("password")

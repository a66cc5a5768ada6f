"""The embedded PVE simulator: a PVE 9.1 API (pve-manager 9.1.9) on this machine, for demos and tests.

Layers, each usable on its own:

- ``core.Simulator.handle(method, path, query, headers, body)``: the whole API as a function. Every one of the
  649 methods of the schema answers: requests are authenticated (tickets with CSRF, API tokens) and validated
  as PVE does (``pvectl.sdk._core.validate``); stateful handlers (``handlers/``) cover access, nodes, cluster,
  pools, storage, network, qemu, tasks and HA; the rest answer with data shaped by the schema's ``returns``.
- ``store.Store``: the state, in memory or in a SQLite database shared safely between processes (one row per
  VM, volume, task and HA resource; a write stores only what it changed, all or nothing).
- ``world``: the default world and the seed file format; ``faults``: fault injection and its spec syntax.
- ``server.start_server``: HTTPS on loopback (certificate from ``tls``); ``mock.mock_transport``: the same
  simulator on httpx's MockTransport, for fast tests.
- ``embedded.sim_connection()``: what ``pvectl --sim`` uses: a server in the calling process on an ephemeral
  127.0.0.1 port, state in ``$PVECTL_SIM_STATE_DIR`` or ``$XDG_STATE_HOME/pvectl/sim`` (the same state file
  ``pvectl sim serve`` uses by default). ``$PVECTL_SIM_FAULTS`` (fault specs separated by ``;``) injects faults
  into it while it is set, so end-to-end tests of the CLI can provoke failures.

Tasks run for ``task_seconds`` (0.1 by default) and finish lazily: their effects apply at the first request
after their time is up, in whichever process makes it.
"""

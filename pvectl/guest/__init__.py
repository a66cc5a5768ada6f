"""Front-end neutral operations on guests (QEMU VMs and LXC containers), on the SDK.

``outcome``: what a write did, and the exit-code table; ``run``: the one write runner (single and bulk, the
Ctrl-C policy, reconciling ambiguous answers); ``select``: which guests a command acts on; ``ops``: the workflows.
"""

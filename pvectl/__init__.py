"""pvectl: the command line and typed Python SDK for Proxmox VE."""

__version__ = "0.1.0"

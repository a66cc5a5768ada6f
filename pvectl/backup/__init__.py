"""Backups: volume ids, vzdump logs, and the plans of create, restore and prune (pure), plus their runner."""

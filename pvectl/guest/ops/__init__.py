"""The workflows on guests, each a plan (what would be sent, what is refused and why) run by pvectl.guest.run:
power and delete (``power``), one-request writes (``simple``: template, resize, rollback), ``migrate``, ``drain``."""

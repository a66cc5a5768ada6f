"""pvectl's command line. Kept import-light: heavy modules load inside the commands that need them."""

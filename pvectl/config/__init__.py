"""pvectl's configuration: the XDG config file with named contexts, and the ticket cache."""

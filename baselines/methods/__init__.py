"""One module per method; importing a module registers its method card."""

"""Built-in skills: one folder each, with its code and `sentences/<lang>.yaml`."""

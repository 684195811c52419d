"""The `assistant` command: a thin layer that parses, calls the library and prints."""

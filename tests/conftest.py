"""pytest configuration: the tests folder is on sys.path, so tests import ``helpers``."""

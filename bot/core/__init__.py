"""The core: tips, topics, search, choosing, schedules and wording. Pure Python: it imports
nothing from the runtime, the store, config, the web server or any platform SDK (a test in
tests/test_layers.py enforces it)."""

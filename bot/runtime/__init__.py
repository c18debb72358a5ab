"""The runtime: the command router, delivery, the scheduler, the health/metrics server and the
store. It uses the core; it never imports a platform adapter (app.py wires them together)."""

"""Platform adapters. The core never imports the modules in here; app.py wires them in."""

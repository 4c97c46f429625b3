"""`make load`: the portal under load on this machine (load/run.py). Not part of the deployed portal."""

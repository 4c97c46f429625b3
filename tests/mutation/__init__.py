"""Mutation testing of the modules that protect people (`make mutate`)."""

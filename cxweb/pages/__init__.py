"""Dash pages: one module per job, each holding its layout and callbacks."""

"""Starts the workbench: ``python app.py [--port 8060] [--workspace DIR]`` is ``cxwb serve`` with the same options."""

import sys

from workbench.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))

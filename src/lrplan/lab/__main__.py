"""``python -m lrplan.lab ...``: the lab commands on their own (the same as ``lrplan lab ...``)."""

from .cli import main

if __name__ == "__main__":
    main()

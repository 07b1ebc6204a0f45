"""``python -m lrsched.lab ...``: the lab commands on their own (the same as ``lrsched lab ...``)."""

from .cli import main

if __name__ == "__main__":
    main()

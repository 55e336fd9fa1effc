"""`python -m kaspar` runs the `kaspar` command."""

from kaspar.cli.app import main

if __name__ == "__main__":
    main()

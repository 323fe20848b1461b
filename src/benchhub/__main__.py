"""`python -m benchhub`: the same command line as the `benchhub` script."""

from benchhub.cli.app import main

main()

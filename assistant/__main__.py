"""`python -m assistant` is the `paracite` command."""

from .cli import main

main()

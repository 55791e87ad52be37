"""The application around the :mod:`core` library: paper declarations, run contexts, results
records, claims and their matching, the book's generated pages, the command line and benchmarks.

``core`` never imports ``ser``; ``ser`` knows the repository's layout (:mod:`ser.paths`).
"""

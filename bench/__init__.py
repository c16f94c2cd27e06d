"""Side-by-side benchmarks (run by hand with `make bench`; not part of `make test`)."""

"""Test harness pieces that pytest loads as plugins (they ship so `make test` works anywhere)."""

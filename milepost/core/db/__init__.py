"""Several databases: a PostgreSQL primary and streaming read replicas.

``routing`` holds what one request may do (read from a replica or not), ``health`` how far
behind each replica is, ``router`` the Django database router that decides from both, and
``middleware`` marks the heavy reads and pins a person who just wrote to the primary.
"""

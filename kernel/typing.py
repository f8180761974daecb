"""Type names shared by the apps' signatures."""

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser, User

# Whoever acts: a person (the project keeps Django's default user model), anonymous, or no one
# (the system).
Actor = User | AnonymousUser | None
# The accounts a caller may see (ids), as selectors take them.
AccountIds = Iterable[int]

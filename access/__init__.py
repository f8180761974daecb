"""Identity and access control: accounts, memberships, roles and API keys."""

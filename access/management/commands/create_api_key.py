"""Create an API key for a user on an account and print its id and secret once."""

import json
import shlex

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from access.enums import ApiKeyScheme
from access.errors import AccessValidationError
from access.models import Account
from access.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key; prints the key id and the secret (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--account", required=True, help="Account id or name.")
        parser.add_argument("--scopes", required=True, help="Comma-separated: read,trade,...")
        parser.add_argument("--name", default="", help="Label (default: cli-<username>).")
        parser.add_argument("--scheme", choices=ApiKeyScheme.values, default=None)
        parser.add_argument("--public-key", default="", help="Ed25519 public key (base64/PEM).")
        parser.add_argument("--expires-at", default=None, help="ISO 8601 with timezone.")
        parser.add_argument("--allowed-ips", default="", help="Comma-separated IPs/CIDRs.")
        parser.add_argument(
            "--rate-limits", default="", help='JSON, e.g. {"data": "100/s", "trading": "5/s"}.'
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument(
            "--shell",
            action="store_true",
            help='Print KEY_ID=... and SECRET=... lines for `eval "$(...)"` in a shell.',
        )

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}")
        account_ref = options["account"]
        accounts = Account.objects.filter(name=account_ref)
        if account_ref.isdigit():
            accounts = accounts | Account.objects.filter(pk=int(account_ref))
        account = accounts.first()
        if account is None:
            raise CommandError(f"No account {account_ref!r}")
        expires_at = None
        if options["expires_at"]:
            expires_at = parse_datetime(options["expires_at"])
            if expires_at is None:
                raise CommandError("--expires-at must be ISO 8601")
        try:
            rate_limits = json.loads(options["rate_limits"]) if options["rate_limits"] else None
        except ValueError as exc:
            raise CommandError("--rate-limits must be JSON") from exc
        try:
            api_key, secret = api_key_create(
                user=user,
                account=account,
                name=options["name"] or f"cli-{user.get_username()}",
                scopes=[scope.strip() for scope in options["scopes"].split(",") if scope.strip()],
                scheme=options["scheme"],
                public_key=options["public_key"],
                expires_at=expires_at,
                allowed_ips=[ip.strip() for ip in options["allowed_ips"].split(",") if ip.strip()],
                rate_limits=rate_limits,
            )
        except AccessValidationError as exc:
            raise CommandError(json.dumps((exc.details or {}).get("fields"))) from exc
        result = {
            "id": api_key.pk,
            "key_id": api_key.key_id,
            "secret": secret,
            "scheme": api_key.scheme,
            "scopes": api_key.scopes,
            "account": account.pk,
        }
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        if options["shell"]:
            self.stdout.write(f"KEY_ID={shlex.quote(api_key.key_id)}")
            self.stdout.write(f"SECRET={shlex.quote(secret or '')}")
            return
        self.stdout.write(f"key_id: {api_key.key_id}")
        if secret is not None:
            self.stdout.write(f"secret: {secret}")
        if api_key.scheme == ApiKeyScheme.SIMPLE:
            self.stdout.write(f"header: Authorization: Api-Key {api_key.key_id}.{secret}")
        self.stdout.write("The secret is not stored and will not be shown again.")

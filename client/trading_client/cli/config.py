"""Where the command line finds the server and the credential: flags, then the environment,
then a TOML config file that only its owner may read.

    # ~/.config/trading/config.toml (chmod 600), one table per profile
    [default]
    base_url = "http://127.0.0.1:8000"
    auth = "hmac"                 # api-key | hmac | ed25519 | jwt
    key_id = "k3f..."
    secret = "..."
    # private_key_file = "~/.config/trading/ed25519.pem"   (ed25519)
    # username = "..."  password = "..."                   (jwt)
    # account = 1
    # timeout = 10

Environment: TRADING_CONFIG, TRADING_PROFILE, TRADING_BASE_URL, TRADING_AUTH, TRADING_API_KEY
(`<key_id>.<secret>`, the simple scheme), TRADING_KEY_ID, TRADING_SECRET,
TRADING_PRIVATE_KEY_FILE, TRADING_USERNAME, TRADING_PASSWORD, TRADING_ACCOUNT, TRADING_TIMEOUT.
"""

from __future__ import annotations

import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trading_client.auth import ApiKeyAuth, Auth, Ed25519Auth, HmacAuth, JWTAuth
from trading_client.errors import ConfigurationError

AUTH_KINDS = ("api-key", "hmac", "ed25519", "jwt")
_ENV = {
    "base_url": "TRADING_BASE_URL",
    "auth": "TRADING_AUTH",
    "api_key": "TRADING_API_KEY",
    "key_id": "TRADING_KEY_ID",
    "secret": "TRADING_SECRET",
    "private_key_file": "TRADING_PRIVATE_KEY_FILE",
    "username": "TRADING_USERNAME",
    "password": "TRADING_PASSWORD",
    "account": "TRADING_ACCOUNT",
    "timeout": "TRADING_TIMEOUT",
}
_KNOWN = set(_ENV)


class SettingsError(ConfigurationError):
    """The configuration is missing, unreadable or unsafe (exit status 2)."""


@dataclass(frozen=True)
class Settings:
    base_url: str
    auth: Auth | None
    account: int | None
    timeout: float


def default_config_path(env: Mapping[str, str]) -> Path:
    """`$TRADING_CONFIG`, else `$XDG_CONFIG_HOME/trading/config.toml` (`~/.config/...`)."""
    if env.get("TRADING_CONFIG"):
        return Path(env["TRADING_CONFIG"]).expanduser()
    base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "trading" / "config.toml"


def check_private(path: Path) -> None:
    """Refuse a secrets file that its group or others may read or write."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SettingsError(
            f"refusing to use {path}: it holds credentials but its mode is {mode:04o} "
            f"(group or others can access it); run: chmod 600 {path}"
        )


def read_profile(path: Path, profile: str, *, required: bool) -> dict[str, Any]:
    """Return the profile's table from the config file ({} when the file is absent and not
    `required`). Raises SettingsError for an unsafe, unreadable or unknown profile."""
    if not path.exists():
        if required:
            raise SettingsError(f"config file {path} does not exist")
        return {}
    check_private(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"cannot read {path}: {exc}") from exc
    table = document.get(profile)
    if table is None:
        if required or profile != "default":
            raise SettingsError(f"{path} has no [{profile}] profile")
        return {}
    if not isinstance(table, dict):
        raise SettingsError(f"[{profile}] in {path} is not a table")
    unknown = set(table) - _KNOWN
    if unknown:
        raise SettingsError(f"[{profile}] in {path}: unknown keys {', '.join(sorted(unknown))}")
    return table


def _auth(values: Mapping[str, Any]) -> Auth | None:
    kind = values.get("auth")
    if kind is None:  # infer from what is given
        if values.get("api_key"):
            kind = "api-key"
        elif values.get("key_id") and values.get("private_key_file"):
            kind = "ed25519"
        elif values.get("key_id") and values.get("secret"):
            kind = "hmac"
        elif values.get("username"):
            kind = "jwt"
        else:
            return None
    if kind not in AUTH_KINDS:
        raise SettingsError(f"auth must be one of {', '.join(AUTH_KINDS)}, not {kind!r}")
    try:
        if kind == "api-key":
            if values.get("api_key"):
                return ApiKeyAuth.from_token(str(values["api_key"]))
            return ApiKeyAuth(str(values.get("key_id") or ""), str(values.get("secret") or ""))
        if kind == "hmac":
            return HmacAuth(str(values.get("key_id") or ""), str(values.get("secret") or ""))
        if kind == "ed25519":
            if not values.get("private_key_file"):
                raise SettingsError("ed25519 needs private_key_file")
            key_path = Path(str(values["private_key_file"])).expanduser()
            check_private(key_path)
            return Ed25519Auth(str(values.get("key_id") or ""), key_path.read_bytes())
        return JWTAuth(str(values.get("username") or ""), str(values.get("password") or ""))
    except OSError as exc:
        raise SettingsError(f"cannot read the private key: {exc}") from exc
    except SettingsError:
        raise
    except ConfigurationError as exc:
        raise SettingsError(f"{kind} credential: {exc}") from exc


def _account(value: Any) -> int | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    if not text.isdigit():
        raise SettingsError(f"account must be an account id (a number), not {text!r}")
    return int(text)


def load_settings(
    *,
    env: Mapping[str, str],
    config: str | None = None,
    profile: str | None = None,
    base_url: str | None = None,
    account: str | None = None,
    timeout: float | None = None,
) -> Settings:
    """Merge the config file's profile, the environment and the flags (in rising priority)."""
    path = Path(config).expanduser() if config else default_config_path(env)
    required = bool(config or env.get("TRADING_CONFIG") or profile or env.get("TRADING_PROFILE"))
    values = read_profile(
        path, profile or env.get("TRADING_PROFILE") or "default", required=required
    )
    for name, variable in _ENV.items():
        if env.get(variable):
            values[name] = env[variable]
    if base_url:
        values["base_url"] = base_url
    if account:
        values["account"] = account
    if timeout is not None:
        values["timeout"] = timeout
    try:
        seconds = float(values.get("timeout", 10.0))
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"timeout must be a number of seconds: {exc}") from exc
    return Settings(
        base_url=str(values.get("base_url") or "http://127.0.0.1:8000"),
        auth=_auth(values),
        account=_account(values.get("account")),
        timeout=seconds,
    )

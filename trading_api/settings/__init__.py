"""Default settings: the embedded or services mode, chosen by the environment."""

from .base import *  # noqa: F403

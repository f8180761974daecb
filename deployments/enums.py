"""Choices of the deployments app: a deployment's status and the events that move it."""

from django.db import models


class DeploymentStatus(models.TextChoices):
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


class DeploymentEvent(models.TextChoices):
    # The owner (or staff) asked.
    PAUSED = "paused"
    RESUMED = "resumed"
    STOPPED = "stopped"
    # The engine found the account's trading stopped or halted.
    HELD = "held"
    # The engine hit an error running it.
    FAILED = "failed"

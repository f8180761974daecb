"""Run the engine as its own process (services mode), as leader or as a waiting standby."""

import asyncio
import contextlib
import logging
import signal

from django.core.management.base import BaseCommand

from engine.leader import leader_lock_for_database
from engine.runner import Engine
from kernel.runtime import main_loop_set

logger = logging.getLogger("engine")


class Command(BaseCommand):
    help = "Run the engine (market feed, paper venue). A second engine waits and takes over."

    def add_arguments(self, parser):
        parser.add_argument(
            "--standby-poll", type=float, default=1.0, help="seconds between takeover attempts"
        )

    def handle(self, *args, standby_poll: float, **options):
        asyncio.run(self._main(standby_poll))

    async def _main(self, standby_poll: float) -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        # What the venue's worker thread publishes (fills, orders, positions) goes out on this
        # loop, in order, over its connections: not a fresh loop and connection per send.
        main_loop_set(loop)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        # A lost lock (the database dropped the lock's connection) ends one term as leader; the
        # process goes back to standby and leads again once it re-takes the lock, so an outage
        # of the database needs no process supervisor to bring the engine back.
        while not stopping.is_set():
            lock = leader_lock_for_database()
            if await self._acquire(lock, stopping, standby_poll):
                await self._lead(lock, stopping, standby_poll)

    async def _acquire(self, lock, stopping: asyncio.Event, standby_poll: float) -> bool:
        """Wait for the leader lock; return False when asked to stop first."""
        announced = False
        while not stopping.is_set():
            try:
                if await asyncio.to_thread(lock.try_acquire):
                    return True
            except Exception:  # the database is down: keep waiting, as a standby would
                logger.exception("engine could not try the leader lock")
            if not announced:
                logger.info("engine standby: another engine is the leader")
                self.stdout.write("standby: waiting for the leader lock", ending="\n")
                self.stdout.flush()
                announced = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=standby_poll)
        await asyncio.to_thread(lock.release)
        return False

    async def _lead(self, lock, stopping: asyncio.Event, standby_poll: float) -> None:
        """Run the engine until the lock is lost or the process is asked to stop."""
        self.stdout.write("leader: engine running", ending="\n")
        self.stdout.flush()
        engine = Engine(mode="services")

        async def watch_lock():
            while True:
                await asyncio.sleep(standby_poll)
                if not await asyncio.to_thread(lock.is_held):
                    logger.error("engine lost the leader lock; back to standby")
                    engine.stop()
                    return

        async def watch_signal():
            await stopping.wait()
            engine.stop()

        watchers = [asyncio.create_task(watch_lock()), asyncio.create_task(watch_signal())]
        try:
            await engine.run()
        finally:
            for task in watchers:
                task.cancel()
            await asyncio.to_thread(lock.release)

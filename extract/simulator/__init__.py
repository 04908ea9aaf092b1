"""Loopback platform simulator: YouTube, Reddit, Mastodon, Bluesky and X on one port.

The real connectors run against it unchanged (see extract/WIRE.md). `World` generates a
deterministic social world from the monitoring config, `FaultPlan` injects failures, and
`SimulatorServer` serves both over HTTP with a controllable clock.
"""

from extract.simulator.faults import FaultPlan, FaultRule, FaultSpecError
from extract.simulator.server import SimulatorServer, serve
from extract.simulator.world import World

__all__ = ["FaultPlan", "FaultRule", "FaultSpecError", "SimulatorServer", "World", "serve"]

"""A virtual telematics box, written from the box protocol page alone.

The package imports nothing from ``flotte`` (standard library, paho-mqtt and
cryptography only): it is a second, independent reading of the contract, so
the demo and the end-to-end tests catch the platform drifting from it.
"""

from .autopilot import Simulation, Station
from .box import BoxSpec, SimulatedBox

__all__ = ["BoxSpec", "SimulatedBox", "Simulation", "Station"]

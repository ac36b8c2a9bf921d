"""What the capacity model hands to costing: hardware needs, with no prices.

A workload becomes a :class:`Requirement`: alternative ways to run its compute
(:class:`ComputeOption`, one per accelerator / tensor-parallel degree / CPU shape that works), plus
storage needs. Costing maps each option onto the catalog's instances and picks the cheapest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Packing = Literal["replicas", "flexible"]


@dataclass(frozen=True)
class ComputeOption:
    """One way to run a workload's compute.

    packing="replicas": ``replicas`` copies, each needing ``accelerators_per_replica`` accelerators
    (or, for CPU, ``vcpus_per_replica`` / ``memory_gib_per_replica``), each running
    ``hours_per_month`` (``hours`` in total when ``one_time``). Several replicas share an instance when
    they fit; a replica larger than an instance spans ``ceil(accelerators_per_replica / per_instance)``
    instances (multi-node training, large TP).

    packing="flexible": ``accelerator_hours`` of work that can be split across any number of whole
    instances (a GPU-hours budget with no fixed GPU count): instance-hours = accelerator_hours / k.
    """

    accelerator: str | None  # canonical accelerator id; None = CPU only
    accelerators_per_replica: int = 0
    replicas: int = 1
    hours: float = 730.0  # per month, or in total when one_time
    vcpus_per_replica: float = 0.0
    memory_gib_per_replica: float = 0.0
    packing: Packing = "replicas"
    accelerator_hours: float = 0.0  # for packing="flexible"
    one_time: bool = False
    min_instances: int = 1  # e.g. replicas spread over zones need at least one instance per zone
    # replicas that vary over the day: (replicas, hours per month at that level); () = ``replicas`` for ``hours``.
    # Instances are whole at every level: costing packs each level onto instances separately.
    levels: tuple[tuple[int, float], ...] = ()
    explain: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self) -> str:
        n = f"{self.replicas} replica{'s' * (self.replicas != 1)}"
        if self.accelerator is None:
            return f"{n} x {self.vcpus_per_replica:g} vCPU"
        if self.packing == "flexible":
            return f"{self.accelerator_hours:,.0f} {self.accelerator} GPU-hours"
        return f"{n} x {self.accelerators_per_replica} {self.accelerator}"


@dataclass(frozen=True)
class StorageNeed:
    """Storage over the horizon: GB-months billed in each month (the month's average; index 0 = month 1)."""

    storage_class: str
    gb_by_month: tuple[float, ...]
    write_requests_per_month: float = 0.0
    read_requests_per_month: float = 0.0
    egress_gb_per_month: float = 0.0

    def gb_month(self, month: int) -> float:
        return self.gb_by_month[min(month, len(self.gb_by_month) - 1)]


@dataclass(frozen=True)
class Requirement:
    workload: str
    kind: str  # training | serving | storage | edge
    options: tuple[ComputeOption, ...] = ()
    interruptible: bool = False  # may run on spot / preemptible capacity
    storage: StorageNeed | None = None
    # interruption assumptions for spot: (percent of instances a month or None = default, checkpoint interval
    # minutes, restart minutes); see planner/interruptions.py
    spot_terms: tuple[float | None, float, float] = (None, 30.0, 10.0)
    explain: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

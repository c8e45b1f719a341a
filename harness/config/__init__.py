"""The configuration floor: YAML files → checked, frozen dataclasses. Nothing here starts or imports a daemon.

`load_matrix()` reads a matrix and every scenario and workload it names (matrix.py, scenario.py, workload.py),
checking each value against limits.py; model.py holds the types the rest of the harness reads.
"""

from harness.config.limits import MAX_REPETITIONS, PARAMETER_BOUNDS
from harness.config.matrix import DEFAULT_ROUNDS, default_rounds, load_matrix, with_control
from harness.config.model import (
                                  WORKLOAD_KINDS,
                                  BaseTree,
                                  Engine,
                                  Expect,
                                  Host,
                                  LocalHost,
                                  Matrix,
                                  OverlayKnobs,
                                  Payload,
                                  Repetitions,
                                  Scenario,
                                  SshHost,
                                  Storage,
                                  UserBuild,
                                  VagrantHost,
                                  Workload,
)
from harness.config.scenario import has_containerd_store, load_scenario
from harness.config.workload import load_workload

__all__ = ["DEFAULT_ROUNDS", "MAX_REPETITIONS", "PARAMETER_BOUNDS", "WORKLOAD_KINDS", "BaseTree", "Engine", "Expect",
           "Host", "LocalHost", "Matrix", "OverlayKnobs", "Payload", "Repetitions", "Scenario", "SshHost", "Storage",
           "UserBuild", "VagrantHost", "Workload", "default_rounds", "has_containerd_store", "load_matrix",
           "load_scenario", "load_workload", "with_control"]

"""Starting the system's processes, shared by scripts/stack.py, the tests and the benchmarks."""

from harness.processes import (
    LOCALHOST,
    NotReady,
    Process,
    RedisServer,
    Service,
    free_port,
    pid_alive,
    port_open,
    redis_server_binary,
    stop_pid,
    wait_for,
)

__all__ = [
    "LOCALHOST",
    "NotReady",
    "Process",
    "RedisServer",
    "Service",
    "free_port",
    "pid_alive",
    "port_open",
    "redis_server_binary",
    "stop_pid",
    "wait_for",
]

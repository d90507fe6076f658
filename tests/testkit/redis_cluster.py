"""A real 3-master Redis Cluster on loopback, made the way an operator makes one."""

import shutil
import socket
import subprocess
import time
from functools import partial
from pathlib import Path

from harness.processes import redis_answers

from harness import LOCALHOST, Process, free_port, redis_server_binary

MASTERS = 3
# A cluster node also listens on its port + 10000 (the cluster bus), so ports stop here.
HIGHEST_PORT = 55535


def _cluster_port(taken: set[int]) -> int:
    """A free port whose bus port (+10000) is free too, not in `taken`."""
    for _ in range(200):
        port = free_port()
        if port > HIGHEST_PORT:
            with socket.socket() as sock:
                sock.bind((LOCALHOST, 0))
                port = 20000 + sock.getsockname()[1] % (HIGHEST_PORT - 20000)
        try:
            for candidate in (port, port + 10000):
                with socket.socket() as sock:
                    sock.bind((LOCALHOST, candidate))
        except OSError:
            continue
        if port not in taken:
            taken.add(port)
            return port
    raise RuntimeError("no free port pair (port, port + 10000) for a cluster node")


class RedisCluster:
    """Three `redis-server --cluster-enabled yes` joined by `redis-cli --cluster create`."""

    def __init__(self, workdir: Path) -> None:
        binary = redis_server_binary()
        if binary is None or shutil.which("redis-cli") is None:
            raise RuntimeError("a Redis Cluster needs redis-server and redis-cli on the PATH "
                               "(Debian: apt-get install redis-server)")
        self.workdir = workdir
        taken: set[int] = set()
        self.ports = [_cluster_port(taken) for _ in range(MASTERS)]
        self.nodes = []
        for port in self.ports:
            folder = workdir / str(port)
            folder.mkdir(parents=True, exist_ok=True)
            self.nodes.append(Process(f"redis-cluster-{port}", [
                binary, "--port", str(port), "--bind", LOCALHOST, "--save", "",
                "--appendonly", "no", "--dir", str(folder), "--cluster-enabled", "yes",
                "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"],
                log_path=folder / "redis.log"))

    @property
    def url(self) -> str:
        """Any one node: redis-py's RedisCluster discovers the others (REDIS_CLUSTER=true)."""
        return f"redis://{LOCALHOST}:{self.ports[0]}/0"

    def start(self, timeout: float = 30.0) -> None:
        for node, port in zip(self.nodes, self.ports, strict=True):
            node.launch()
            node.wait_until(partial(redis_answers, port), timeout=timeout,
                            what=f"answering on port {port}")
        subprocess.run(["redis-cli", "--cluster", "create",
                        *(f"{LOCALHOST}:{port}" for port in self.ports),
                        "--cluster-replicas", "0", "--cluster-yes"],
                       check=True, capture_output=True, timeout=timeout)
        deadline = time.monotonic() + timeout
        while not all(self._state_ok(port) for port in self.ports):
            if time.monotonic() > deadline:
                raise TimeoutError("the Redis Cluster did not reach cluster_state:ok")
            time.sleep(0.1)

    def _state_ok(self, port: int) -> bool:
        done = subprocess.run(["redis-cli", "-p", str(port), "cluster", "info"],
                              capture_output=True, text=True, timeout=5, check=False)
        return "cluster_state:ok" in done.stdout

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

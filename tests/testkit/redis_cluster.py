"""A real 3-master Redis Cluster on loopback, made the way an operator makes one."""

import shutil
import subprocess
import time
from pathlib import Path

from harness.processes import redis_answers

from harness import LOCALHOST, Process, free_port, redis_server_binary

MASTERS = 3


class RedisCluster:
    """Three `redis-server --cluster-enabled yes` joined by `redis-cli --cluster create`."""

    def __init__(self, workdir: Path) -> None:
        binary = redis_server_binary()
        if binary is None or shutil.which("redis-cli") is None:
            raise RuntimeError("a Redis Cluster needs redis-server and redis-cli on the PATH "
                               "(Debian: apt-get install redis-server)")
        self.workdir = workdir
        self.ports = [free_port() for _ in range(MASTERS)]
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
            node.wait_until(lambda port=port: redis_answers(port), timeout=timeout,
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

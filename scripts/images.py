"""Build the images (`make images`: the four parts and the proxy in front of the gateway) on the
base images `base_images.py` settles on."""

import argparse
import os
import subprocess
import time

import base_images
from docker_engine import REPO, EngineError, buildkit_client, env_example, run

LOG_DIR = REPO / ".run" / "image-builds"
# Every folder with a Dockerfile that docker-compose.yml builds.
IMAGES = (*base_images.PARTS, "edge-proxy")


def build(part: str, bases: base_images.BaseImages, client: str, env: dict[str, str]) -> None:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    # The name docker-compose.yml gives the part's image, with the same defaults.
    defaults = env_example()
    registry = os.environ.get("IMAGE_REGISTRY") or defaults["IMAGE_REGISTRY"]
    tag = os.environ.get("IMAGE_TAG") or defaults["IMAGE_TAG"]
    log, name = LOG_DIR / f"{part}.log", f"{registry}/{part}:{tag}"
    command = [client, "build", "--progress=plain", "--file", f"{part}/Dockerfile", "--tag", name]
    command += ["--build-arg", f"PYTHON_IMAGE={bases.python}"]
    command += ["--build-arg", f"UV_IMAGE={bases.uv}", "."]
    previous = base_images.image_id(name)
    started = time.monotonic()
    with log.open("w") as handle:
        result = subprocess.run(
            command, cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT, check=False
        )
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        tail = "".join(log.read_text().splitlines(keepends=True)[-40:])
        raise SystemExit(
            f"{tail}\nbuilding {name} failed after {elapsed:.0f} s "
            f"(whole log: {log.relative_to(REPO)})"
        )
    print(f"{name}: built in {elapsed:.0f} s", flush=True)
    if previous and previous != base_images.image_id(name):
        # The image this build replaced, now untagged: rebuilds would pile them up (CI runs
        # on the same engine). Kept if a container still uses it.
        run(["docker", "image", "rm", previous], timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("parts", nargs="*", choices=[*IMAGES, []], help="default: all of them")
    args = parser.parse_args()
    try:
        bases = base_images.resolve()
        client, env = buildkit_client()
    except EngineError as error:
        raise SystemExit(str(error)) from None
    for part in args.parts or IMAGES:
        build(part, bases, client, env)


if __name__ == "__main__":
    main()

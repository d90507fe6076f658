"""Base images for the builds: the official ones, or local stand-ins made from Debian packages.

`make base-images` runs this. BASE_IMAGES=auto (the default) uses the official images when they
are here or can be pulled, else builds stand-ins: `official` and `stand-in` force either way.
A stand-in is named under the reserved `standin.invalid` registry (so a push can never reach a
real one), labelled as a local stand-in, and rebuilt only when its recipe changes.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

from docker_engine import REPO, EngineError, ensure_daemon, env_example, run
from dockerfile_parse import DockerfileParser

PARTS = ("etl-job", "catalog-service", "recsys-service", "gateway")
RESULT_FILE = REPO / ".run" / "base-images.env"
STANDIN_REGISTRY = "standin.invalid"
RECIPE_LABEL = "org.streaming-recs.standin.recipe"
# Bump when the recipe below changes in a way its inputs do not show.
RECIPE_VERSION = "2"
SUITE = "bookworm"  # Debian's release with Python 3.11
PYTHON_PACKAGES = ("python3.11", "ca-certificates")
REDIS_PACKAGES = ("redis-server", "redis-tools")
# The official redis image's user: the compose file runs Redis as 999:1000 and a new volume
# takes /data's ownership from the image.
REDIS_DATA_OWNER = "999:1000"
EXTRA_CA_DIR = Path("/usr/local/share/ca-certificates")
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "streaming-recs"
PULL_TIMEOUT_SECONDS = 300


class BaseImages(NamedTuple):
    """The images the builds start from, official or stand-ins."""

    python: str
    uv: str
    redis: str

    def as_env(self) -> dict[str, str]:
        """The variables the compose file and the builds read them from."""
        return dict(zip(("PYTHON_IMAGE", "UV_IMAGE", "REDIS_IMAGE"), self, strict=True))


def official() -> BaseImages:
    """The images the Dockerfiles (ARG defaults) and .env.example (REDIS_IMAGE) name."""
    parents = {
        tuple(DockerfileParser(str(REPO / part / "Dockerfile")).parent_images) for part in PARTS
    }
    if len(parents) != 1:
        raise SystemExit(f"the Dockerfiles disagree on their base images: {sorted(parents)}")
    ((uv, python, *_),) = parents
    return BaseImages(python=python, uv=uv, redis=env_example()["REDIS_IMAGE"])


def pulled(name: str) -> bool:
    if image_id(name) is not None:
        return True
    print(f"pulling {name}", flush=True)
    try:
        result = run(["docker", "pull", name], timeout=PULL_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        return False
    if result.returncode != 0:
        print(f"  cannot pull {name}: {result.stderr.strip().splitlines()[-1:]}", flush=True)
    return result.returncode == 0


def extra_cas() -> list[Path]:
    """The certificate authorities this machine adds to Debian's (a TLS-inspecting egress):
    builds inside the stand-in must trust them to reach PyPI."""
    return sorted(EXTRA_CA_DIR.glob("*.crt")) if EXTRA_CA_DIR.is_dir() else []


def recipe(kind: str, *inputs: str) -> str:
    digest = hashlib.sha256(json.dumps([RECIPE_VERSION, kind, SUITE, mirror(), *inputs]).encode())
    for ca in extra_cas():
        digest.update(ca.read_bytes())
    return digest.hexdigest()[:16]


def mirror() -> str:
    return os.environ.get("DEBIAN_MIRROR") or "http://deb.debian.org/debian"


def image_inspect(name: str, template: str) -> str | None:
    """`docker image inspect --format template name`, or None when there is no such image."""
    result = run(["docker", "image", "inspect", "--format", template, name], timeout=30)
    return result.stdout.strip() if result.returncode == 0 else None


def image_id(name: str) -> str | None:
    return image_inspect(name, "{{.Id}}")


def labels(
    name: str, stands_for: str, digest: str, source: str = f"Debian {SUITE} packages"
) -> list[str]:
    description = (
        f"LOCAL STAND-IN for {stands_for}, built on this machine by "
        f"scripts/base_images.py from {source}; not the official image, never push it"
    )
    return [
        f"LABEL org.opencontainers.image.title={json.dumps(name)}",
        f"LABEL org.opencontainers.image.description={json.dumps(description)}",
        f"LABEL org.streaming-recs.standin.for={json.dumps(stands_for)}",
        f"LABEL {RECIPE_LABEL}={digest}",
    ]


def import_tree(root: Path, name: str, instructions: list[str]) -> None:
    """`docker import` a directory as a one-layer image with these Dockerfile instructions."""
    excluded = [f"--exclude=./{folder}/*" for folder in ("dev", "proc", "sys")]
    tar = subprocess.Popen(
        ["tar", "--numeric-owner", "-C", str(root), *excluded, "-cf", "-", "."],
        stdout=subprocess.PIPE,
    )
    changes = [arg for instruction in instructions for arg in ("--change", instruction)]
    result = subprocess.run(
        ["docker", "import", *changes, "-", name],
        stdin=tar.stdout,
        capture_output=True,
        text=True,
        check=False,
    )
    tar.wait()
    if tar.returncode != 0 or result.returncode != 0:
        raise SystemExit(f"docker import of {name} failed: {result.stderr.strip()}")


def debootstrap(root: Path, packages: tuple[str, ...]) -> None:
    if shutil.which("debootstrap") is None or os.geteuid() != 0:
        raise SystemExit(
            "stand-in base images need debootstrap, run as root: `apt-get install debootstrap`"
        )
    # One package cache per image: the stand-ins are built at the same time.
    cache = CACHE_DIR / "debootstrap" / packages[0]
    cache.mkdir(parents=True, exist_ok=True)
    command = ["debootstrap", "--variant=minbase", f"--include={','.join(packages)}"]
    command += [f"--cache-dir={cache}", SUITE, str(root), mirror()]
    print(f"  {' '.join(command)}", flush=True)
    result = run(command)
    if result.returncode != 0:
        raise SystemExit(f"debootstrap failed:\n{result.stdout[-3000:]}{result.stderr[-2000:]}")
    # What the slim images leave out too: package lists and downloaded archives.
    for leftover in ("var/lib/apt/lists", "var/cache/apt/archives"):
        for path in (root / leftover).glob("*"):
            if path.is_file():
                path.unlink()


def build_python(name: str, stands_for: str, digest: str) -> None:
    with tempfile.TemporaryDirectory(prefix="standin-python-") as tmp:
        root = Path(tmp) / "root"
        debootstrap(root, PYTHON_PACKAGES)
        for ca in extra_cas():
            shutil.copy2(ca, root / "usr/local/share/ca-certificates" / ca.name)
        subprocess.run(
            ["chroot", str(root), "update-ca-certificates"], check=True, capture_output=True
        )
        # Where the official image has its interpreter: uv and the venvs find it there.
        for link in ("python", "python3"):
            (root / "usr/local/bin" / link).symlink_to("/usr/bin/python3.11")
        env = ["ENV LANG=C.UTF-8", "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"]
        import_tree(root, name, [*labels(name, stands_for, digest), *env, 'CMD ["python3"]'])


def build_redis(name: str, stands_for: str, digest: str) -> None:
    with tempfile.TemporaryDirectory(prefix="standin-redis-") as tmp:
        root = Path(tmp) / "root"
        debootstrap(root, REDIS_PACKAGES)
        data = root / "data"
        data.mkdir()
        subprocess.run(["chown", REDIS_DATA_OWNER, str(data)], check=True)
        serve = ["WORKDIR /data", "EXPOSE 6379", 'CMD ["redis-server"]']
        import_tree(root, name, [*labels(name, stands_for, digest), *serve])


def build_uv(name: str, stands_for: str, digest: str) -> None:
    """A scratch image holding the uv binary of the same version, as installed from PyPI."""
    version = stands_for.rsplit(":", 1)[1]
    uv = os.environ.get("UV") or shutil.which("uv") or "uv"
    with tempfile.TemporaryDirectory(prefix="standin-uv-") as tmp:
        target = Path(tmp) / "wheel"
        install = [uv, "pip", "install", "--quiet", "--no-deps", "--python", sys.executable]
        result = run([*install, "--target", str(target), f"uv=={version}"])
        if result.returncode != 0:
            raise SystemExit(f"could not install uv {version} from PyPI: {result.stderr[-2000:]}")
        root = Path(tmp) / "root"
        root.mkdir()
        for binary in ("uv", "uvx"):
            shutil.copy2(target / "bin" / binary, root / binary)
        import_tree(root, name, labels(name, stands_for, digest, source=f"PyPI's uv {version}"))


def ensure_standins(images: BaseImages) -> BaseImages:
    names = BaseImages(
        python=f"{STANDIN_REGISTRY}/python:3.11-{SUITE}",
        uv=f"{STANDIN_REGISTRY}/uv:{images.uv.rsplit(':', 1)[1]}",
        redis=f"{STANDIN_REGISTRY}/redis:7-{SUITE}",
    )
    builders = (
        (names.python, images.python, build_python, PYTHON_PACKAGES),
        (names.uv, images.uv, build_uv, ()),
        (names.redis, images.redis, build_redis, REDIS_PACKAGES),
    )
    # At once: each mostly waits on downloads and dpkg, so together they take about as long
    # as the slowest one rather than the sum (CI builds them on every clean machine).
    with ThreadPoolExecutor(max_workers=len(builders)) as pool:
        list(pool.map(lambda builder: ensure_standin(*builder), builders))
    return names


def ensure_standin(
    name: str, stands_for: str, build: Callable[[str, str, str], None], packages: tuple[str, ...]
) -> None:
    digest = recipe(name, stands_for, *packages)
    if image_inspect(name, f'{{{{index .Config.Labels "{RECIPE_LABEL}"}}}}') == digest:
        print(f"{name}: cached (recipe {digest})", flush=True)
        return
    print(f"{name}: building the local stand-in for {stands_for}", flush=True)
    previous = image_id(name)
    started = time.monotonic()
    build(name, stands_for, digest)
    print(f"{name}: built in {time.monotonic() - started:.0f} s", flush=True)
    if previous:
        # The superseded stand-in, now untagged; kept if a container still uses it.
        run(["docker", "image", "rm", previous], timeout=60)


def resolve(mode: str | None = None) -> BaseImages:
    """The base images to build on, stand-ins made first when those are the ones."""
    mode = mode or os.environ.get("BASE_IMAGES") or "auto"
    if mode not in {"auto", "official", "stand-in"}:
        raise SystemExit(f"BASE_IMAGES={mode!r}: accepted values are auto, official, stand-in")
    ensure_daemon()
    images = official()
    if mode == "official":
        return images
    if mode == "auto" and all(pulled(name) for name in images.as_env().values()):
        return images
    if mode == "auto":
        print("the official base images are out of reach: using local stand-ins", flush=True)
    return ensure_standins(images)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mode",
        choices=["auto", "official", "stand-in"],
        help="overrides BASE_IMAGES (default auto)",
    )
    args = parser.parse_args()
    try:
        images = resolve(args.mode)
    except EngineError as error:
        raise SystemExit(str(error)) from None
    RESULT_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULT_FILE.write_text("".join(f"{k}={v}\n" for k, v in images.as_env().items()))
    for key, value in images.as_env().items():
        print(f"{key}={value}")


if __name__ == "__main__":
    main()

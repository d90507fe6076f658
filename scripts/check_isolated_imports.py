"""Import every module of one workspace member, run inside a venv holding only that member."""

import importlib
import pkgutil
import sys


def main(package: str) -> None:
    root = importlib.import_module(package)
    names = [root.__name__]
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        importlib.import_module(info.name)
        names.append(info.name)
    print(f"{package}: imported {len(names)} modules with only its declared dependencies")


if __name__ == "__main__":
    main(sys.argv[1])

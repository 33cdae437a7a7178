#!/usr/bin/env python3
"""Build the hashicorp/aws Terraform provider from its Go module, with only the AWS services terraform/ uses.

The registry's binaries cannot be downloaded here, but the provider's source is a Go module. The whole
provider registers about 265 services and compiles the AWS SDK client of every one of them: over 1 GB of
binary and most of an hour on two cores. What terraform/ uses is a handful of services, so the build
narrows the same source in two generated files, nothing else:

- ``internal/provider/sdkv2/service_packages_gen.go`` registers only the services in ``aws-provider.json``;
- ``internal/conns/awsclient_gen.go`` keeps only the SDK clients some compiled package still imports.

Every resource and data source of the kept services is the provider's own code, unchanged. The binary goes
to ``.cache/provider/<version>-<stamp>/`` and Terraform is pointed at it by a CLI configuration
(``dev_overrides``) written next to it: nothing is downloaded but the Go modules, from the Go proxy, and
the provider module's hash is checked against the pin. A second run finds the binary and returns at once.

Prints the CLI configuration's path (use it as ``TF_CLI_CONFIG_FILE``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PIN = HERE / "aws-provider.json"
CACHE = REPO / ".cache" / "provider"
SDK_SERVICE = "github.com/aws/aws-sdk-go-v2/service/"
REGISTRATION = Path("internal/provider/sdkv2/service_packages_gen.go")
CLIENTS = Path("internal/conns/awsclient_gen.go")
IMPORT_BLOCK = re.compile(r"^import \((.*?)^\)", re.DOTALL | re.MULTILINE)
IMPORT_LINE = re.compile(r'^\s*(?:([A-Za-z_][A-Za-z0-9_]*|\.)\s+)?"([^"]+)"', re.MULTILINE)
SINGLE_IMPORT = re.compile(r'^import\s+(?:([A-Za-z_][A-Za-z0-9_]*)\s+)?"([^"]+)"', re.MULTILINE)
BUILD_CONSTRAINT = re.compile(r"^//go:build\s+(.+)$", re.MULTILINE)
BUILD_TOKEN = re.compile(r"\(|\)|!|&&|\|\||[A-Za-z0-9_.]+")
# The build tags a plain `go build` on this machine satisfies (CGO_ENABLED=0); any other tag is false.
SATISFIED_TAGS = frozenset({"linux", "unix", "amd64", "arm64", "gc", *(f"go1.{minor}" for minor in range(27))})


@dataclass(frozen=True)
class Pin:
    """What to build: the Terraform version it is, the Go module version it comes from, and its services."""

    terraform_version: str
    module: str
    go_version: str
    go_sum: str
    services: tuple[str, ...]

    @classmethod
    def load(cls, path: Path = PIN) -> Pin:
        data = json.loads(path.read_text())
        return cls(
            terraform_version=data["terraform_version"],
            module=data["module"],
            go_version=data["go_version"],
            go_sum=data["go_sum"],
            services=tuple(data["services"]),
        )


def stamp(pin: Pin) -> str:
    """Changes whenever the pin or this script does, so that a stale binary is never reused."""
    digest = hashlib.sha256(PIN.read_bytes() + Path(__file__).read_bytes())
    return f"{pin.terraform_version}-{digest.hexdigest()[:12]}"


def go_environment() -> dict[str, str]:
    """Go's environment: the provider module is checked against the pin, not the checksum database,
    which may not be reachable; every dependency against the provider's own go.sum. An older Go fetches
    the toolchain the provider's go.mod asks for (GOTOOLCHAIN=auto, the default)."""
    return {
        **os.environ,
        "GOFLAGS": "-mod=readonly -modcacherw",
        "GONOSUMDB": "github.com/hashicorp/terraform-provider-aws",
        "CGO_ENABLED": "0",
    }


def download(pin: Pin) -> Path:
    """The provider module's source in Go's module cache, after checking its hash against the pin."""
    answer = subprocess.run(  # noqa: S603 - fixed arguments
        ["go", "mod", "download", "-json", f"{pin.module}@{pin.go_version}"],  # noqa: S607 - Go from PATH
        check=True,
        capture_output=True,
        text=True,
        env=go_environment(),
    )
    info = json.loads(answer.stdout)
    if info.get("Sum") != pin.go_sum:
        raise SystemExit(f"build: {pin.module}@{pin.go_version} has hash {info.get('Sum')}, the pin says {pin.go_sum}")
    return Path(info["Dir"])


def writable_copy(source: Path, destination: Path) -> None:
    """Copy the read-only module source, making the copy writable (two generated files are rewritten)."""
    if destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns("*_test.go", "testdata", "website", "docs"))
    for path in destination.rglob("*"):
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def narrow_registration(source: Path, services: tuple[str, ...]) -> None:
    """Register only ``services``: drop the other packages' imports and ``ServicePackage`` entries."""
    path = source / REGISTRATION
    text = path.read_text()
    prefix = "github.com/hashicorp/terraform-provider-aws/internal/service/"
    known = set(re.findall(rf'"{re.escape(prefix)}([a-z0-9]+)"', text))
    missing = sorted(set(services) - known)
    if missing:
        raise SystemExit(f"build: the provider has no service package {', '.join(missing)}")
    for dropped in known - set(services):
        text = text.replace(f'\t"{prefix}{dropped}"\n', "")
        text = text.replace(f"\t\t{dropped}.ServicePackage(ctx),\n", "")
    path.write_text(text)


def imports_of(path: Path) -> list[tuple[str | None, str]]:
    """``(alias, import path)`` of each import of a Go file."""
    text = path.read_text()
    found = [(alias or None, target) for alias, target in SINGLE_IMPORT.findall(text)]
    for block in IMPORT_BLOCK.findall(text):
        found.extend((alias or None, target) for alias, target in IMPORT_LINE.findall(block))
    return found


def satisfied(constraint: str) -> bool:
    """Whether a ``//go:build`` expression holds for a plain build (``generate``, ``sweep``... do not)."""
    words = {"&&": "and", "||": "or", "!": "not", "(": "(", ")": ")"}
    tokens = [words.get(token, str(token in SATISFIED_TAGS)) for token in BUILD_TOKEN.findall(constraint)]
    return bool(eval(" ".join(tokens), {"__builtins__": {}}))  # noqa: S307 - only and/or/not/True/False/parentheses


def compiled_files(directory: Path) -> list[Path]:
    """The Go files of a package that the provider's build compiles (no tests, no generators, no sweepers)."""
    compiled = []
    for path in sorted(directory.glob("*.go")):
        constraint = BUILD_CONSTRAINT.search(path.read_text())
        if not path.name.endswith("_test.go") and (constraint is None or satisfied(constraint[1])):
            compiled.append(path)
    return compiled


def reachable(source: Path, module: str, roots: list[str]) -> tuple[set[str], set[str]]:
    """The provider's packages compiled from ``roots`` on, and the SDK service packages they import (the
    client file's imports aside: those are what is being narrowed)."""
    packages: set[str] = set()
    sdk: set[str] = set()
    pending = list(roots)
    clients = (source / CLIENTS).resolve()
    while pending:
        package = pending.pop()
        if package in packages:
            continue
        packages.add(package)
        directory = source / package.removeprefix(module).lstrip("/")
        for path in compiled_files(directory):
            for _, target in imports_of(path):
                if target.startswith(module + "/"):
                    pending.append(target)
                elif target.startswith(SDK_SERVICE) and path.resolve() != clients:
                    sdk.add(target)
    return packages, sdk


def services_to_register(source: Path, pin: Pin) -> tuple[str, ...]:
    """The pinned services and every service package they compile in: a client (S3 tagging uses S3 Control's)
    is made through its service package's registration, so each compiled one must be registered."""
    prefix = f"{pin.module}/internal/service/"
    packages, _ = reachable(source, pin.module, [prefix + service for service in pin.services])
    return tuple(
        sorted({package.removeprefix(prefix).split("/")[0] for package in packages if package.startswith(prefix)})
    )


def narrow_clients(source: Path, needed: set[str]) -> int:
    """Keep only the client methods (and imports) of ``needed`` SDK packages; return how many were dropped."""
    path = source / CLIENTS
    text = path.read_text()
    aliases = {
        (alias or target.rsplit("/", 1)[1]): target
        for alias, target in imports_of(path)
        if target.startswith(SDK_SERVICE)
    }
    dropped = {alias for alias, target in aliases.items() if target not in needed}
    for alias in dropped:
        method = re.compile(
            rf"^func \(c \*AWSClient\) \w+\(ctx context\.Context\) \*{alias}\.Client \{{\n.*?^\}}\n\n?",
            re.DOTALL | re.MULTILINE,
        )
        text, count = method.subn("", text)
        if count != 1:
            raise SystemExit(f"build: expected one client method for {alias} in {CLIENTS}, found {count}")
        text = re.sub(rf'^\t(?:{alias} )?"{re.escape(aliases[alias])}"\n', "", text, flags=re.MULTILINE)
    path.write_text(text)
    return len(dropped)


def go_build(source: Path, pin: Pin, binary: Path) -> None:
    """Compile the narrowed source, stamped with the Terraform version it is built as."""
    binary.parent.mkdir(parents=True, exist_ok=True)
    version_variable = f"{pin.module}/version.ProviderVersion={pin.terraform_version}"
    subprocess.run(  # noqa: S603 - fixed arguments
        ["go", "build", "-trimpath", "-ldflags", f"-s -w -X {version_variable}", "-o", str(binary), "."],  # noqa: S607
        check=True,
        cwd=source,
        env=go_environment(),
    )


def cli_configuration(binary: Path) -> Path:
    """A Terraform CLI configuration that takes hashicorp/aws from ``binary``'s folder, and nothing else."""
    path = binary.parent.parent / "terraformrc"
    path.write_text(
        "# Written by tools/provider/build.py: hashicorp/aws is the provider built here.\n"
        "provider_installation {\n"
        "  dev_overrides {\n"
        f'    "hashicorp/aws" = "{binary.parent}"\n'
        "  }\n"
        "  direct {}\n"
        "}\n"
    )
    return path


def build(pin: Pin) -> Path:
    """The provider's binary, built unless a build of this very pin and script is already there."""
    target = CACHE / stamp(pin)
    binary = target / "bin" / "terraform-provider-aws"
    if binary.exists():
        return binary
    started = time.monotonic()
    source = target / "src"
    writable_copy(download(pin), source)
    services = services_to_register(source, pin)
    narrow_registration(source, services)
    dropped = narrow_clients(source, reachable(source, pin.module, [pin.module])[1])
    print(
        f"build: {len(services)} services registered ({', '.join(services)}), {dropped} SDK clients left out",
        file=sys.stderr,
    )
    go_build(source, pin, binary)
    shutil.rmtree(source)  # Go's build cache keeps what a rebuild needs
    for stale in CACHE.iterdir():  # builds of an earlier pin or script
        if stale != target and stale.is_dir():
            shutil.rmtree(stale)
    size = binary.stat().st_size / 1e6
    print(f"build: {binary} ({size:.0f} MB) in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return binary


def main() -> int:
    binary = build(Pin.load())
    print(cli_configuration(binary))
    return 0


if __name__ == "__main__":
    sys.exit(main())

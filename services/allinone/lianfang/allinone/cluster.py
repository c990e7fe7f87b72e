"""`lianfang cluster up|down`: the cluster on one machine, without Docker.

`up` prepares what the processes need once (keys, the root password, a self-signed certificate, the databases and their
migrations, nginx's configuration rendered from `deploy/nginx.conf`), then starts a supervisor in the background and
waits until every process answers. The supervisor runs the processes of `deploy/Procfile` in the numbers the formation
asks for, each in its own process group with its log in the run directory, and starts again one that dies: unlike
honcho or foreman, one process ending (a crash, or a test killing an instance) leaves the others running. `down` stops
the supervisor, which stops its processes; it touches nothing it did not start.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from lianfang.allinone.keys import generate_keys, stored_root_password

__all__ = [
    "ClusterSettings",
    "Instance",
    "cluster_down",
    "cluster_up",
    "instances",
    "parse_procfile",
    "render_template",
    "supervise",
]

# The process types nginx balances over; each has a pool named after it in deploy/nginx.conf.
POOLS = ("gateway", "registry", "checkin", "trace")
STORES = ("accounts", "registry", "records", "trace")
_TEMPLATE_VARIABLE = re.compile(r"\$\{(LIANFANG_[A-Z0-9_]+)\}")
_COMMAND_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
# A process that ran this long before it died was working: it is started again at once.
_HEALTHY_SECONDS = 10.0
_STOP_SECONDS = 20.0


class ClusterSettings(BaseSettings):
    """Where the cluster lives and what it talks to, from `LIANFANG_*` variables; paths are relative to the checkout."""

    model_config = SettingsConfigDict(env_prefix="LIANFANG_", extra="ignore")

    cluster_dir: Path = Path(".cluster")
    cluster_procfile: Path = Path("deploy/Procfile")
    cluster_nginx_template: Path = Path("deploy/nginx.conf")
    cluster_web_root: Path = Path("web")
    # `type=count` pairs; types of the Procfile left out run once.
    cluster_formation: str = "nginx=1,gateway=2,registry=2,checkin=2,trace=2,worker=1"
    # nginx's internal address is this port; the n-th instance of the k-th Procfile type listens on base + 10·k + n.
    cluster_port_base: int = Field(default=9100, ge=1024, le=65000)
    # The MariaDB server of the four stores, and the prefix of their database names.
    cluster_mysql_url: str = "mysql+asyncmy://root@127.0.0.1:3306"
    cluster_database_prefix: str = Field(default="lianfang_cluster_", pattern=r"^[A-Za-z0-9_]*$")
    nginx_https_port: int = 8443
    nginx_http_port: int = 8080
    nginx_trusted_proxy: str = "127.0.0.1"
    # Unset: a self-signed certificate for localhost, made once in `cluster_certificates`.
    cluster_certificates: Path = Path("deploy/certs")
    tls_certificate: Path | None = None
    tls_certificate_key: Path | None = None
    cluster_ready_seconds: float = 120.0

    @property
    def run_dir(self) -> Path:
        return self.cluster_dir.resolve()

    @property
    def https_url(self) -> str:
        return f"https://localhost:{self.nginx_https_port}"

    @property
    def internal_url(self) -> str:
        return f"http://127.0.0.1:{self.cluster_port_base}"

    def formation(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for pair in filter(None, (item.strip() for item in self.cluster_formation.split(","))):
            name, _, count = pair.partition("=")
            counts[name.strip()] = int(count)
        return counts


@dataclass(frozen=True)
class Instance:
    """One process of the cluster: the n-th of its Procfile type."""

    kind: str
    number: int
    port: int
    argv: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.kind}.{self.number}"

    @property
    def serves_http(self) -> bool:
        """Answers /readyz on its port (every process but nginx, which is checked from the outside)."""
        return self.kind != "nginx"

    def marker(self) -> str:
        """What its command line shows once running, whatever the program made of argv[0] (nginx retitles itself)."""
        return " ".join(self.argv[1:])


def parse_procfile(content: str) -> list[tuple[str, str]]:
    """`name: command` lines, in order; blank lines and `#` comments are skipped."""
    entries = []
    for number, line in enumerate(content.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, colon, command = stripped.partition(":")
        if not colon or not re.fullmatch(r"[a-z][a-z0-9_-]*", name.strip()) or not command.strip():
            raise ValueError(f"Procfile line {number} is not `name: command`: {line!r}")
        entries.append((name.strip(), command.strip()))
    return entries


def _expand(command: str, env: Mapping[str, str]) -> tuple[str, ...]:
    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in env:
            raise ValueError(f"the Procfile command {command!r} uses ${name}, which is not set")
        return shlex.quote(env[name])

    return tuple(shlex.split(_COMMAND_VARIABLE.sub(value, command)))


def instances(settings: ClusterSettings, procfile: str, env: Mapping[str, str]) -> list[Instance]:
    formation = settings.formation()
    entries = parse_procfile(procfile)
    unknown = sorted(set(formation) - {name for name, _ in entries})
    if unknown:
        raise ValueError(f"LIANFANG_CLUSTER_FORMATION names {unknown}, which the Procfile does not have")
    chosen = []
    for position, (kind, command) in enumerate(entries):
        count = formation.get(kind, 1)
        if not 0 <= count <= 9:
            raise ValueError(f"LIANFANG_CLUSTER_FORMATION: {kind}={count}; at most 9 instances of a type")
        for number in range(1, count + 1):
            port = settings.cluster_port_base + 10 * position + number
            argv = _expand(command, {**env, "PORT": str(port)})
            chosen.append(Instance(kind=kind, number=number, port=port, argv=argv))
    return chosen


def render_template(template: str, values: Mapping[str, str]) -> str:
    """Fills every `${LIANFANG_*}`, as envsubst does with NGINX_ENVSUBST_FILTER=^LIANFANG_; nginx's own `$names` stay."""
    missing = sorted({name for name in _TEMPLATE_VARIABLE.findall(template) if name not in values})
    if missing:
        raise ValueError(f"the nginx template needs {', '.join(missing)}")
    return _TEMPLATE_VARIABLE.sub(lambda match: values[match.group(1)], template)


def nginx_values(settings: ClusterSettings, chosen: list[Instance]) -> dict[str, str]:
    certificate, key = _certificate(settings)
    values = {
        "LIANFANG_NGINX_HTTPS_PORT": str(settings.nginx_https_port),
        "LIANFANG_NGINX_HTTP_PORT": str(settings.nginx_http_port),
        "LIANFANG_NGINX_INTERNAL_LISTEN": f"127.0.0.1:{settings.cluster_port_base}",
        "LIANFANG_NGINX_TRUSTED_PROXY": settings.nginx_trusted_proxy,
        "LIANFANG_TLS_CERTIFICATE": str(certificate),
        "LIANFANG_TLS_CERTIFICATE_KEY": str(key),
        "LIANFANG_WEB_ROOT": str(settings.cluster_web_root.resolve()),
    }
    for pool in POOLS:
        servers = [
            f"server 127.0.0.1:{instance.port} max_fails=3 fail_timeout=10s;"
            for instance in chosen
            if instance.kind == pool
        ]
        if not servers:
            raise ValueError(f"LIANFANG_CLUSTER_FORMATION must run at least one {pool}")
        values[f"LIANFANG_NGINX_{pool.upper()}_SERVERS"] = " ".join(servers)
    return values


def _certificate(settings: ClusterSettings) -> tuple[Path, Path]:
    """The configured certificate, or a self-signed one for localhost made on first use."""
    if settings.tls_certificate and settings.tls_certificate_key:
        return settings.tls_certificate.resolve(), settings.tls_certificate_key.resolve()
    folder = settings.cluster_certificates.resolve()
    certificate, key_path = folder / "localhost.crt", folder / "localhost.key"
    if certificate.exists() and key_path.exists():
        return certificate, key_path
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=825))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    certificate.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return certificate, key_path


def _read_env_file(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def service_environment(settings: ClusterSettings) -> dict[str, str]:
    """Every process's environment: the defaults of a local cluster, the keys made once, and whatever the caller set."""
    run_dir = settings.run_dir
    keys_file = run_dir / "keys.env"
    if not keys_file.exists():
        keys_file.write_text("".join(f"{name}={value}\n" for name, value in generate_keys().items()))
        keys_file.chmod(0o600)
    server = make_url(settings.cluster_mysql_url)
    defaults = {
        "LIANFANG_ENV": "development",
        "LIANFANG_WECHAT_MODE": "dev",
        "LIANFANG_REDIS_URL": "redis://127.0.0.1:6379/0",
        "LIANFANG_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672/",
        "LIANFANG_PUBLIC_URL": settings.https_url,
        "LIANFANG_REGISTRY_URL": settings.internal_url,
        "LIANFANG_GATEWAY_URL": settings.internal_url,
        **{
            f"LIANFANG_{store.upper()}_DATABASE_URL": server.set(
                database=f"{settings.cluster_database_prefix}{store}"
            ).render_as_string(hide_password=False)
            for store in STORES
        },
    }
    env = {**defaults, **_read_env_file(keys_file), **os.environ}
    if not env.get("LIANFANG_ROOT_PASSWORD"):
        env["LIANFANG_ROOT_PASSWORD"] = stored_root_password(run_dir)
    env["LIANFANG_CLUSTER_DIR"] = str(run_dir)
    tools = [str(Path(sys.executable).parent), "/usr/local/sbin", "/usr/sbin", "/sbin"]
    env["PATH"] = os.pathsep.join([*tools, env.get("PATH", "/usr/bin:/bin")])
    return env


async def _create_databases(env: Mapping[str, str]) -> None:
    for store in STORES:
        url = make_url(env[f"LIANFANG_{store.upper()}_DATABASE_URL"])
        if url.get_backend_name() != "mysql" or not url.database:
            continue
        server = create_async_engine(url.set(database=""))
        try:
            async with server.begin() as connection:
                # Asked first: `CREATE DATABASE IF NOT EXISTS` on an existing one makes the driver print a warning.
                exists = await connection.scalar(
                    text("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = :name"),
                    {"name": url.database},
                )
                if not exists:
                    await connection.execute(
                        text(f"CREATE DATABASE `{url.database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
                    )
        finally:
            await server.dispose()


def _alive(pid: int, marker: str) -> bool:
    """The process exists and is the one we started (a pid alone may have been reused since)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return marker in cmdline


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _supervisor_marker(run_dir: Path) -> str:
    return f"cluster supervise --run-dir {run_dir}"


def _running_supervisor(run_dir: Path) -> int | None:
    pid = _read_pid(run_dir / "supervisor.pid")
    return pid if pid is not None and _alive(pid, _supervisor_marker(run_dir)) else None


def cluster_up(settings: ClusterSettings) -> int:
    run_dir = settings.run_dir
    for folder in (run_dir, run_dir / "logs", run_dir / "pids", run_dir / "nginx"):
        folder.mkdir(parents=True, exist_ok=True)
    run_dir.chmod(0o700)
    env = service_environment(settings)
    if _running_supervisor(run_dir) is not None:
        print(f"the cluster is running already ({run_dir}); `make cluster-stop` stops it")
        print(_summary(settings, env))
        return 0
    chosen = instances(settings, settings.cluster_procfile.read_text(), env)
    nginx_conf = run_dir / "nginx" / "nginx.conf"
    nginx_conf.write_text(render_template(settings.cluster_nginx_template.read_text(), nginx_values(settings, chosen)))
    for step, command in (
        ("nginx configuration", _nginx_test_command(chosen)),
        ("migrations", [str(Path(sys.executable).parent / "lianfang"), "migrate"]),
    ):
        print(f"cluster: {step}", flush=True)
        if step == "migrations":
            asyncio.run(_create_databases(env))
        with (run_dir / "logs" / "setup.log").open("a") as log:
            done = subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)  # noqa: S603
        if done.returncode != 0:
            print(_tail(run_dir / "logs" / "setup.log", 30), file=sys.stderr)
            print(f"cluster: the {step} failed; the log is {run_dir / 'logs' / 'setup.log'}", file=sys.stderr)
            return 1

    with (run_dir / "logs" / "supervisor.log").open("a") as log:
        supervisor = subprocess.Popen(  # noqa: S603
            [str(Path(sys.executable).parent / "lianfang"), "cluster", "supervise", "--run-dir", str(run_dir)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (run_dir / "supervisor.pid").write_text(f"{supervisor.pid}\n")
    print(f"cluster: starting {len(chosen)} processes, logs in {run_dir / 'logs'}", flush=True)
    waiting = _wait_until_ready(settings, chosen, supervisor)
    if waiting:
        print(f"cluster: not ready in {settings.cluster_ready_seconds:.0f} s: {', '.join(waiting)}", file=sys.stderr)
        for name in waiting:
            print(f"--- {name}\n{_tail(run_dir / 'logs' / f'{name}.log', 15)}", file=sys.stderr)
        cluster_down(settings)
        return 1
    print(_summary(settings, env))
    return 0


def _nginx_test_command(chosen: list[Instance]) -> list[str]:
    (nginx,) = [instance for instance in chosen if instance.kind == "nginx"]
    return [arg for arg in nginx.argv if arg not in ("-g", "daemon off;")] + ["-t", "-q"]


def _wait_until_ready(
    settings: ClusterSettings, chosen: list[Instance], supervisor: subprocess.Popen[bytes]
) -> list[str]:
    """The names of the processes still not ready when the time is up (empty when all are)."""
    waiting = {instance.name: instance for instance in chosen}
    deadline = time.monotonic() + settings.cluster_ready_seconds
    with httpx.Client(verify=False, timeout=2.0) as client:  # noqa: S501 - our own self-signed certificate
        while waiting and time.monotonic() < deadline and supervisor.poll() is None:
            for name, instance in list(waiting.items()):
                url = (
                    f"http://127.0.0.1:{instance.port}/readyz"
                    if instance.serves_http
                    else f"https://127.0.0.1:{settings.nginx_https_port}/healthz"
                )
                try:
                    if client.get(url).status_code == 200:
                        del waiting[name]
                except httpx.HTTPError:
                    pass
            time.sleep(0.5)
    return sorted(waiting)


def _summary(settings: ClusterSettings, env: Mapping[str, str]) -> str:
    url = settings.https_url
    return "\n".join(
        [
            "",
            "  Lianfang 联防联控服务与管理系统 — cluster, ready",
            "",
            f"  {url}   (http://localhost:{settings.nginx_http_port} redirects here; the certificate is self-signed)",
            f"  管理后台  admin SPA      {url}/admin/",
            f"  执勤      staff view     {url}/staff/",
            f"  扫码登记  check-in page  {url}/c/<checkpoint code>",
            f"  API       OpenAPI docs   {url}/api/auth/docs  {url}/api/registry/docs",
            "",
            f"  root admin   {env.get('LIANFANG_ROOT_USERNAME', 'admin')} / {env['LIANFANG_ROOT_PASSWORD']}",
            f"  logs         {settings.run_dir / 'logs'}/*.log",
            "  stop         make cluster-stop",
            "",
        ]
    )


def _tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def cluster_down(settings: ClusterSettings) -> int:
    run_dir = settings.run_dir
    supervisor = _running_supervisor(run_dir)
    if supervisor is not None:
        os.kill(supervisor, signal.SIGTERM)
        deadline = time.monotonic() + _STOP_SECONDS + 10
        while time.monotonic() < deadline and _alive(supervisor, _supervisor_marker(run_dir)):
            time.sleep(0.2)
    # A supervisor that was killed outright leaves its processes behind: those still running are stopped here.
    left = 0
    for pid_file in sorted((run_dir / "pids").glob("*.pid")) if (run_dir / "pids").exists() else []:
        pid = _read_pid(pid_file)
        marker = pid_file.read_text().partition("\n")[2].strip()
        if pid is not None and marker and _alive(pid, marker):
            left += 1
            _stop_group(pid, signal.SIGKILL)
        pid_file.unlink(missing_ok=True)
    (run_dir / "supervisor.pid").unlink(missing_ok=True)
    if supervisor is None and not left:
        print("cluster: nothing was running")
    else:
        print("cluster: stopped")
    return 0


def _stop_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


@dataclass
class _Running:
    instance: Instance
    process: subprocess.Popen[bytes]
    started: float
    failures: int = 0
    restart_at: float | None = None
    log: IO[bytes] | None = field(default=None, repr=False)


def _say(message: str) -> None:
    print(f"{datetime.datetime.now().isoformat(timespec='seconds')} {message}", flush=True)


def supervise(run_dir: Path) -> int:
    """Runs the cluster's processes until SIGTERM or SIGINT, starting again any that ends; then stops them all."""
    settings = ClusterSettings(cluster_dir=run_dir)
    env = dict(os.environ)
    chosen = instances(settings, settings.cluster_procfile.read_text(), env)
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    running = [_start(instance, env, run_dir) for instance in chosen]
    while not stopping:
        now = time.monotonic()
        for entry in running:
            if entry.restart_at is not None:
                if now >= entry.restart_at:
                    if entry.log is not None:
                        entry.log.close()
                    entry.process, entry.log = _spawn(entry.instance, env, run_dir)
                    entry.started, entry.restart_at = now, None
                    _say(f"{entry.instance.name} started again (pid {entry.process.pid})")
                continue
            code = entry.process.poll()
            if code is None:
                continue
            _stop_group(entry.process.pid, signal.SIGKILL)  # what it left behind (the ingest worker's writer)
            entry.failures = 0 if now - entry.started >= _HEALTHY_SECONDS else entry.failures + 1
            delay = min(30.0, 2.0**entry.failures) if entry.failures else 0.5
            entry.restart_at = now + delay
            _say(f"{entry.instance.name} exited with {code}; starting it again in {delay:.1f} s")
        time.sleep(0.2)
    _say("stopping")
    _stop_all(running, run_dir)
    _say("stopped")
    return 0


def _start(instance: Instance, env: Mapping[str, str], run_dir: Path) -> _Running:
    process, log = _spawn(instance, env, run_dir)
    _say(f"{instance.name} started (pid {process.pid}, port {instance.port})")
    return _Running(instance=instance, process=process, started=time.monotonic(), log=log)


def _spawn(instance: Instance, env: Mapping[str, str], run_dir: Path) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    log = (run_dir / "logs" / f"{instance.name}.log").open("ab")
    executable = shutil.which(instance.argv[0], path=env.get("PATH"))
    if executable is None:
        raise FileNotFoundError(f"{instance.argv[0]} is not installed (needed by {instance.name})")
    process = subprocess.Popen(  # noqa: S603
        [executable, *instance.argv[1:]],
        env={**env, "PORT": str(instance.port)},
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    (run_dir / "pids" / f"{instance.name}.pid").write_text(f"{process.pid}\n{instance.marker()}\n")
    return process, log


def _stop_all(running: list[_Running], run_dir: Path) -> None:
    """SIGTERM to each process (each stops in its own way: uvicorn drains, the worker acks what it stored), SIGKILL to
    whatever is left of its group after the grace period."""
    live = [entry for entry in running if entry.restart_at is None and entry.process.poll() is None]
    for entry in live:
        entry.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + _STOP_SECONDS
    for entry in live:
        try:
            entry.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _say(f"{entry.instance.name} did not stop in {_STOP_SECONDS:.0f} s; killed")
    for entry in running:
        _stop_group(entry.process.pid, signal.SIGKILL)
        entry.process.poll()
        if entry.log is not None:
            entry.log.close()
        (run_dir / "pids" / f"{entry.instance.name}.pid").unlink(missing_ok=True)


def pid_files(run_dir: Path) -> Iterator[tuple[str, int]]:
    """The running processes by name, as their pid files say (for tests that kill one)."""
    for path in sorted((run_dir / "pids").glob("*.pid")):
        pid = _read_pid(path)
        if pid is not None:
            yield path.stem, pid


def state(settings: ClusterSettings) -> dict[str, object]:
    return {
        "run_dir": str(settings.run_dir),
        "supervisor": _running_supervisor(settings.run_dir),
        "processes": dict(pid_files(settings.run_dir)),
    }


def print_state(settings: ClusterSettings) -> int:
    current = state(settings)
    print(json.dumps(current, indent=2))
    return 0 if current["supervisor"] else 3

"""The scaled-out assistant started as real processes, for the scale tests and the soak run.

N Rasa processes (deploy/endpoints-scaled.yml) share a PostgreSQL tracker store and a Redis
lock store; M action servers, each under deploy/supervise.sh (restarted when killed); HAProxy
in front of both (deploy/haproxy.py). Everything is private to one run: its own PostgreSQL
databases (created, dropped at the end), its own redis-server on its own port (so a test may
stop it), and a TCP proxy between Rasa and PostgreSQL (so a test may cut it). The machine's
shared PostgreSQL and Redis services are never stopped.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import jwt
import requests
import sqlalchemy as sa

from benchmarks.processes import PYTHON, ROOT, Server, base_env, load_knowledge, newest_model, rasa_server
from deploy.haproxy import config as haproxy_config
from deploy.tcp_proxy import TcpProxy

DEPLOY = ROOT / "deploy"
PG_SERVER = os.environ.get("SCALE_PG_URL", "postgresql://postgres@127.0.0.1:5432")


@dataclass
class Ports:
    base: int

    @property
    def citizens(self) -> int:
        return self.base

    @property
    def actions_front(self) -> int:
        return self.base + 1

    @property
    def redis(self) -> int:
        return self.base + 2

    @property
    def postgres_proxy(self) -> int:
        return self.base + 3

    def rasa(self, i: int) -> int:
        return self.base + 10 + i

    def actions(self, i: int) -> int:
        return self.base + 30 + i


@dataclass
class LocalCluster:
    workdir: Path
    rasa_count: int = 2
    action_count: int = 2
    port_base: int = 19200
    name: str = field(default_factory=lambda: f"scale{uuid.uuid4().hex[:8]}")
    servers: dict = field(default_factory=dict)
    proxy: TcpProxy | None = None
    jwt_secret: str = field(default_factory=lambda: secrets.token_hex(32))

    def __post_init__(self) -> None:
        self.ports = Ports(self.port_base)
        self.logs = self.workdir / "logs"
        self.tracker_db = f"{self.name}_tracker"
        self.knowledge_db = f"{self.name}_knowledge"

    # ---- addresses
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports.citizens}"

    def rasa_url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports.rasa(i)}"

    @property
    def tracker_url_direct(self) -> str:
        return f"{PG_SERVER}/{self.tracker_db}"

    # ---- life cycle
    def start(self) -> "LocalCluster":
        for tool in ("haproxy", "redis-server"):
            if not shutil.which(tool):
                raise RuntimeError(f"{tool} is missing: run scripts/setup-scale.sh")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._create_databases()
        pg_host_port = PG_SERVER.rsplit("@", 1)[-1]
        pg_host, pg_port = pg_host_port.split(":")
        self.proxy = TcpProxy(self.ports.postgres_proxy, pg_host, int(pg_port)).start()
        user = PG_SERVER.split("//", 1)[1].split("@", 1)[0]
        self.env = base_env(
            TRACKER_STORE_URL=f"postgresql://{user}@127.0.0.1:{self.ports.postgres_proxy}/{self.tracker_db}",
            DATABASE_URL=f"{PG_SERVER}/{self.knowledge_db}",
            REDIS_HOST="127.0.0.1",
            REDIS_PORT=str(self.ports.redis),
            REDIS_DB="0",
            REDIS_KEY_PREFIX=self.name,
            ACTION_ENDPOINT_URL=f"http://127.0.0.1:{self.ports.actions_front}/webhook",
            JWT_SECRET=self.jwt_secret,
            DOSSIER_HASH_KEY=secrets.token_hex(32),
            SANIC_HOST="127.0.0.1",
            TRACKER_STORE_RETRY_SECONDS="30",
        )
        load_knowledge(self.env)
        self.start_redis()
        config = self.workdir / "haproxy.cfg"
        config.write_text(
            haproxy_config(
                self.ports.citizens,
                [self.ports.rasa(i) for i in range(1, self.rasa_count + 1)],
                self.ports.actions_front,
                [self.ports.actions(i) for i in range(1, self.action_count + 1)],
            )
        )
        self.servers["haproxy"] = Server(
            "haproxy",
            ["haproxy", "-W", "-db", "-f", str(config)],
            f"http://127.0.0.1:{self.ports.citizens}/haproxy-health",
            self.env,
            self.logs / "haproxy.log",
        )
        self.servers["haproxy"].start(timeout=30)
        for i in range(1, self.action_count + 1):
            self.servers[f"actions{i}"] = Server(
                f"actions{i}",
                [
                    str(DEPLOY / "supervise.sh"),
                    f"actions{i}",
                    PYTHON,
                    "-m",
                    "bot.action_server",
                    "--actions",
                    "actions",
                    "--port",
                    str(self.ports.actions(i)),
                ],
                f"http://127.0.0.1:{self.ports.actions(i)}/health",
                self.env,
                self.logs / f"actions{i}.log",
            )
        model = newest_model()
        for i in range(1, self.rasa_count + 1):
            self.servers[f"rasa{i}"] = rasa_server(
                f"rasa{i}",
                self.ports.rasa(i),
                model,
                DEPLOY / "endpoints-scaled.yml",
                ROOT / "credentials.yml",
                self.env,
                self.logs,
                jwt_secret=self.jwt_secret,
            )
        started = [s for name, s in self.servers.items() if name.startswith(("rasa", "actions"))]
        self.logs.mkdir(parents=True, exist_ok=True)
        for server in started:  # all at once: the Rasa processes load their models in parallel
            server.process = subprocess.Popen(
                server.command, cwd=server.cwd, env=server.env, stdout=server.log.open("a"), stderr=subprocess.STDOUT, start_new_session=True
            )
        for server in started:
            server.wait_until_up(timeout=400)
        self.wait_for_load_balancer()
        return self

    def stop(self) -> None:
        for server in self.servers.values():
            try:
                server.stop()
            except Exception:  # noqa: BLE001 - stop the rest whatever happens
                pass
        if self.proxy:
            self.proxy.stop()
        self.stop_redis()
        self._drop_databases()

    def start_redis(self) -> None:
        server = Server(
            "redis",
            ["redis-server", "--port", str(self.ports.redis), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            "",
            self.env,
            self.logs / "redis.log",
        )
        server.log.parent.mkdir(parents=True, exist_ok=True)
        server.process = subprocess.Popen(server.command, stdout=server.log.open("a"), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 20
        while (
            subprocess.run(["redis-cli", "-p", str(self.ports.redis), "ping"], capture_output=True, text=True).stdout.strip() != "PONG"
            or server.process.poll() is not None
        ):
            if time.monotonic() > deadline or server.process.poll() is not None:
                raise RuntimeError(f"redis-server did not start:\n{server.tail()}")
            time.sleep(0.2)
        self.servers["redis"] = server

    def stop_redis(self) -> None:
        redis = self.servers.pop("redis", None)
        if redis:
            redis.kill()

    def kill_action_server(self, i: int) -> None:
        """SIGKILL the action server itself (not its supervisor, which restarts it)."""
        supervisor = self.servers[f"actions{i}"].process
        children = Path(f"/proc/{supervisor.pid}/task/{supervisor.pid}/children").read_text().split()
        for child in children:
            os.kill(int(child), 9)

    def wait_for_action_servers(self, timeout: float = 300) -> None:
        for i in range(1, self.action_count + 1):
            self.servers[f"actions{i}"].wait_until_up(timeout)
        self.wait_for_load_balancer()

    def wait_for_load_balancer(self, timeout: float = 60) -> None:
        """Until HAProxy's health checks see every server up (`rise 2`, `inter` 1-2 s)."""
        deadline = time.monotonic() + timeout
        urls = [f"{self.url}/", f"http://127.0.0.1:{self.ports.actions_front}/health"]
        while time.monotonic() < deadline:
            try:
                if all(requests.get(url, timeout=2).status_code == 200 for url in urls):
                    time.sleep(4.5)  # a server that just came back needs two passed checks
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"HAProxy does not reach the servers after {timeout}s")

    # ---- talking to it
    def send(self, sender: str, text: str, base_url: str | None = None, timeout: float = 120) -> list[dict]:
        response = requests.post(f"{base_url or self.url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=timeout)
        response.raise_for_status()
        return response.json()

    def token(self) -> str:
        return jwt.encode({"user": {"username": "scale-test", "role": "admin"}, "exp": int(time.time()) + 900}, self.jwt_secret, algorithm="HS256")

    def stored_events(self, sender: str) -> list[dict]:
        """Every event of `sender` in the tracker store, in the order they were stored."""
        import json

        engine = sa.create_engine(self.tracker_url_direct)
        try:
            with engine.connect() as connection:
                rows = connection.execute(sa.text("SELECT data FROM events WHERE sender_id = :sender ORDER BY id"), {"sender": sender})
                return [json.loads(row.data) for row in rows]
        finally:
            engine.dispose()

    def rss_mb(self) -> dict[str, float]:
        return {name: server.rss_mb() for name, server in self.servers.items() if server.process}

    # ---- databases
    def _admin(self):
        return sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")

    def _create_databases(self) -> None:
        engine = self._admin()
        with engine.connect() as connection:
            for db in (self.tracker_db, self.knowledge_db):
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}"'))
                connection.execute(sa.text(f'CREATE DATABASE "{db}"'))
        engine.dispose()

    def _drop_databases(self) -> None:
        engine = self._admin()
        with engine.connect() as connection:
            for db in (self.tracker_db, self.knowledge_db):
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        engine.dispose()

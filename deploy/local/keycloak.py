"""Keycloak 26 as a local process: fetched through Maven, run on the machine's Java 17+.

The distribution (org.keycloak:keycloak-quarkus-dist, zip) is unpacked once into
`.cache/keycloak/`. Every running instance gets its own small home folder under its
state folder (copied scripts and config, links to the big jar folders), because
Keycloak keeps its H2 database, the realm import folder, its temp files and its
re-built application under its home: two instances (`make up` and a test run) never
share any of those.

First start: the realm `deploy/keycloak/realm-zgov.json` is imported, client secrets
are generated and handed to Keycloak through environment variables (the realm file
holds `${ZGOV_<CLIENT>_CLIENT_SECRET}` placeholders), and one demo user per position
is created. Secrets and passwords live only in the state folder (mode 600).

What only a local Keycloak has (never the chart's realm, which is the realm file as is): the
client LOCAL_TOKENS_CLIENT, which hands out tokens by password (direct grant) for demos and
the tests' token cache, with a direct-grant flow of its own that asks no second factor; and
demo officers enrolled in TOTP at creation (their secret beside their password), so that they
can sign in to the portal through the realm's browser flow, which requires it of every
position. The master realm gets brute-force protection like realm zgov.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from deploy.local.servers import PrerequisiteError, pid_alive, port_is_taken, stop_pid
from shared.https import trust

KEYCLOAK_VERSION = "26.5.6"
MAVEN_ARTIFACT = f"org.keycloak:keycloak-quarkus-dist:{KEYCLOAK_VERSION}:zip"
REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = REPO_ROOT / ".cache" / "keycloak"
REALM_FILE = REPO_ROOT / "deploy" / "keycloak" / "realm-zgov.json"
REALM = "zgov"
ADMIN_USERNAME = "admin"
# Confidential clients of the realm: one per service (their secrets are generated here).
SERVICE_CLIENTS = ("org", "meetings", "documents", "supervision", "disclosure", "petitions", "notify")
# Confidential clients that are not gRPC services: the citizens' portal (a web app).
WEB_CLIENTS = ("portal",)
CLI_CLIENT = "zgov-cli"
# LOCAL ONLY: tokens by password for demos and tests; created by `ensure_local_tokens_client`,
# never in deploy/keycloak/realm-zgov.json (so never in the chart).
LOCAL_TOKENS_CLIENT = "local-demo-and-test-tokens"
LOCAL_TOKENS_FLOW = "local tokens - password only"
# The marker client role every officer position holds: the browser flow asks these a second factor.
SECOND_FACTOR_ROLE = "second-factor"
# Brute-force protection of the master realm (the bootstrap admin's), as realm zgov's.
MASTER_BRUTE_FORCE = {
    "bruteForceProtected": True,
    "permanentLockout": False,
    "failureFactor": 5,
    "waitIncrementSeconds": 60,
    "maxFailureWaitSeconds": 900,
    "minimumQuickLoginWaitSeconds": 60,
    "quickLoginCheckMilliSeconds": 1000,
    "maxDeltaTimeSeconds": 43200,
}


@dataclass(frozen=True)
class DemoUser:
    """One demo person per position (演示用户); passwords are generated at first start."""

    username: str
    position: str
    group: str | None
    last_name: str  # 姓
    first_name: str  # 名


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("mayor", "mayor", "city-government", "王", "建国"),
    DemoUser("evm", "executive-vice-mayor", "city-government", "李", "卫东"),
    DemoUser("vice-mayor-1", "vice-mayor", "city-government", "张", "志强"),
    DemoUser("vice-mayor-2", "vice-mayor", "city-government", "刘", "海燕"),
    DemoUser("vice-mayor-3", "vice-mayor", "city-government", "陈", "光明"),
    DemoUser("secretary-general", "secretary-general", "general-office", "杨", "立新"),
    DemoUser("deputy-secretary-general", "deputy-secretary-general", "general-office", "赵", "文华"),
    DemoUser("office-staff", "office-staff", "general-office", "黄", "小梅"),
    DemoUser("research-office-staff", "research-office-staff", "research-office", "周", "思远"),
    DemoUser("justice-reviewer", "justice-reviewer", "justice-bureau", "吴", "正义"),
    DemoUser("supervision-officer", "supervision-officer", "supervision-office", "徐", "督办"),
    DemoUser("petition-officer", "petition-officer", "petition-bureau", "孙", "为民"),
    DemoUser("disclosure-officer", "disclosure-officer", "general-office", "马", "公开"),
    DemoUser("security-officer", "security-officer", "general-office", "朱", "安全"),
    DemoUser("department-head", "department-head", "education-bureau", "胡", "育才"),
    DemoUser("county-head", "county-head", "anyue-county", "郭", "安岳"),
    DemoUser("citizen", "citizen", None, "林", "市民"),
)


# ---------------------------------------------------------------- prerequisites


def check_java() -> None:
    """Keycloak 26 needs Java 17 or later on PATH (or JAVA_HOME)."""
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else "java"
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (FileNotFoundError, PermissionError):
        out = None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr) if out else None
    major = int(match.group(1)) if match else 0
    if major == 1 and match.group(2):  # "1.8" style
        major = int(match.group(2))
    if major < 17:
        raise PrerequisiteError(
            "Keycloak needs Java 17 or later: install a JDK 17+ (e.g. 'apt-get install openjdk-17-jre-headless')"
            " and make sure 'java' is on PATH or JAVA_HOME points to it."
        )


def fetch_keycloak(cache_dir: Path = CACHE_DIR) -> Path:
    """Unpacked distribution folder; fetched with the machine's Maven the first time."""
    home = cache_dir / f"keycloak-{KEYCLOAK_VERSION}"
    if (home / "bin" / "kc.sh").exists() and (home / ".unpacked").exists():
        return home
    cache_dir.mkdir(parents=True, exist_ok=True)
    archive = cache_dir / f"keycloak-quarkus-dist-{KEYCLOAK_VERSION}.zip"
    if not archive.exists():
        mvn = shutil.which("mvn")
        if not mvn:
            raise PrerequisiteError(
                "Maven is needed once to fetch Keycloak: install it (e.g. 'apt-get install maven') and run again."
            )
        result = subprocess.run(
            [
                mvn,
                "-q",
                "-B",
                "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy",
                f"-Dartifact={MAVEN_ARTIFACT}",
                f"-DoutputDirectory={cache_dir}",
            ],
            capture_output=True,
            text=True,
            cwd=cache_dir,
        )
        if result.returncode != 0 or not archive.exists():
            raise PrerequisiteError(
                f"Maven could not fetch {MAVEN_ARTIFACT}: check access to Maven Central"
                f" ({(result.stdout + result.stderr).strip()[-300:]})."
            )
    # Unpack into a temporary folder first, so an interrupted unpack is never taken as done.
    partial = cache_dir / f".unpacking-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(partial)
    unpacked = partial / f"keycloak-{KEYCLOAK_VERSION}"
    for script in (unpacked / "bin").glob("*.sh"):
        script.chmod(0o755)
    (unpacked / ".unpacked").touch()
    if not (home / ".unpacked").exists():  # another run may have finished first: keep its copy
        shutil.rmtree(home, ignore_errors=True)
        unpacked.rename(home)
    shutil.rmtree(partial, ignore_errors=True)
    return home


def _instance_home(dist: Path, home: Path) -> None:
    """A private Keycloak home: its own data/ and lib/quarkus/, the big jar folders shared by link."""
    if (home / "bin" / "kc.sh").exists():
        return
    home.mkdir(parents=True, exist_ok=True)
    for name in ("bin", "conf"):
        shutil.copytree(dist / name, home / name, dirs_exist_ok=True)
    for name in ("themes", "providers"):
        link = home / name
        if not link.exists():
            link.symlink_to(dist / name)
    lib = home / "lib"
    lib.mkdir(exist_ok=True)
    for name in ("lib", "app"):
        if not (lib / name).exists():
            (lib / name).symlink_to(dist / "lib" / name)
    # The application as re-built for our options by an earlier instance, if any: saves ~20 s per start.
    built = built_template(dist)
    shutil.copytree(
        built if built.exists() else dist / "lib" / "quarkus", lib / "quarkus", dirs_exist_ok=True
    )
    shutil.copy2(dist / "lib" / "quarkus-run.jar", lib / "quarkus-run.jar")
    shutil.copy2(dist / "version.txt", home / "version.txt")


def built_template(dist: Path) -> Path:
    """Where the application re-built for our start options is kept (`_keep_built_template`), once
    an instance has started: a new instance copies it rather than re-building (~20 s)."""
    return dist.parent / f"quarkus-start-dev-{KEYCLOAK_VERSION}"


def _keep_built_template(dist: Path, home: Path) -> None:
    """Keep the application Keycloak re-built for our start options, for the next new instance."""
    template = built_template(dist)
    if template.exists():
        return
    partial = template.with_name(f"{template.name}.{os.getpid()}")
    shutil.copytree(home / "lib" / "quarkus", partial, dirs_exist_ok=True)
    try:
        partial.rename(template)
    except OSError:  # another instance kept it first
        shutil.rmtree(partial, ignore_errors=True)


def _write_private(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2))
    tmp.chmod(0o600)
    tmp.replace(path)


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


# ---------------------------------------------------------------- the server


@dataclass
class KeycloakInfo:
    """What a client of the running Keycloak needs (fixtures, `make up`, the iam tool)."""

    url: str
    realm: str
    client_secrets: dict[str, str]
    demo_users: dict[str, dict]  # username -> {"password", "position", "group"}

    @property
    def issuer(self) -> str:
        return f"{self.url}/realms/{self.realm}"


@dataclass
class Keycloak:
    """One Keycloak server with realm `zgov`; all its state under `state_dir`."""

    state_dir: Path
    port: int
    management_port: int
    cache_dir: Path = CACHE_DIR
    realm_file: Path = REALM_FILE
    # The name in its URLs (it listens on 127.0.0.1 whatever the name): "localhost" for a browser's
    # security key (WebAuthn), which an IP address cannot be the relying party of.
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.url}/realms/{REALM}"

    @property
    def home(self) -> Path:
        return self.state_dir / "home"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "keycloak.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "keycloak.log"

    @property
    def admin_file(self) -> Path:
        return self.state_dir / "admin.json"

    @property
    def secrets_file(self) -> Path:
        return self.state_dir / "secrets.json"

    @property
    def demo_users_file(self) -> Path:
        return self.state_dir / "demo-users.json"

    def running_pid(self) -> int | None:
        if not self.pid_file.exists():
            return None
        text = self.pid_file.read_text().strip()
        pid = int(text) if text.isdigit() else 0
        return pid if pid and pid_alive(pid) else None

    # -- secrets kept in the state folder, generated once

    def admin_password(self) -> str:
        admin = _read_json(self.admin_file)
        if not admin:
            admin = {"username": ADMIN_USERNAME, "password": secrets.token_urlsafe(24)}
            _write_private(self.admin_file, admin)
        return admin["password"]

    def client_secrets(self) -> dict[str, str]:
        stored = _read_json(self.secrets_file)
        missing = [c for c in SERVICE_CLIENTS + WEB_CLIENTS if c not in stored]
        if missing:
            stored.update({c: secrets.token_urlsafe(32) for c in missing})
            _write_private(self.secrets_file, stored)
        return stored

    def demo_users(self) -> dict[str, dict]:
        return _read_json(self.demo_users_file)

    def info(self) -> KeycloakInfo:
        return KeycloakInfo(self.url, REALM, self.client_secrets(), self.demo_users())

    # -- lifecycle

    def start(self, timeout: float = 420.0) -> KeycloakInfo:
        """Start (or find running), wait until the realm answers, make sure demo users exist."""
        self.launch()
        self.wait_ready(timeout)
        _keep_built_template(fetch_keycloak(self.cache_dir), self.home)
        admin = admin_client(self)
        harden_master_realm(admin)
        ensure_local_tokens_client(admin, self.realm_file)
        ensure_demo_users(self)
        return self.info()

    def launch(self) -> None:
        """Start the process without waiting (nothing happens when it already runs)."""
        if self.running_pid():
            return
        check_java()
        for port, what, env in (
            (self.port, "Keycloak", "ZGOV_KEYCLOAK_PORT"),
            (self.management_port, "Keycloak management", "ZGOV_KEYCLOAK_MANAGEMENT_PORT"),
        ):
            if port_is_taken(port):
                raise PrerequisiteError(
                    f"Port {port} for {what} is taken: stop what uses it or set {env} to a free port."
                )
        dist = fetch_keycloak(self.cache_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        # Its database holds client secrets and password hashes: for our eyes only.
        self.state_dir.chmod(0o700)
        _instance_home(dist, self.home)
        import_dir = self.home / "data" / "import"
        import_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(self.realm_file, import_dir / self.realm_file.name)
        env = {
            **os.environ,
            "KC_BOOTSTRAP_ADMIN_USERNAME": ADMIN_USERNAME,
            "KC_BOOTSTRAP_ADMIN_PASSWORD": self.admin_password(),
            # Modest memory: a development server next to the services on a small machine.
            "JAVA_OPTS_KC_HEAP": os.environ.get("JAVA_OPTS_KC_HEAP", "-Xms64m -Xmx768m"),
        }
        for client, secret in self.client_secrets().items():
            env[f"ZGOV_{client.upper()}_CLIENT_SECRET"] = secret
        args = [
            str(self.home / "bin" / "kc.sh"),
            "start-dev",
            "--http-host=127.0.0.1",
            f"--http-port={self.port}",
            f"--http-management-port={self.management_port}",
            # A fixed issuer, whatever host name a client uses to reach Keycloak.
            f"--hostname={self.url}",
            "--health-enabled=true",
            "--import-realm",
            "--cache=local",
            # Keycloak 26 refuses a second sign-in of a person while the first is in flight when brute-
            # force protection is on, as "user_temporarily_disabled" with no failure before it: the
            # demo users of `make up` and the tests are signed in by several processes at once.
            # Failures are still counted and still lock (the realm's brute-force settings).
            "--spi-brute-force-protector-default-brute-force-detector-allow-concurrent-requests=true",
        ]
        with open(self.log_file, "ab") as log:
            proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.state_dir,
                start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))

    def wait_ready(self, timeout: float = 420.0) -> None:
        deadline = time.monotonic() + timeout
        well_known = f"{self.issuer}/.well-known/openid-configuration"
        while time.monotonic() < deadline:
            if not self.running_pid():
                raise RuntimeError(f"Keycloak stopped while starting; its log: {self.log_file}")
            try:
                if httpx.get(well_known, timeout=2, verify=trust()).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(
            f"Keycloak did not answer {well_known} within {timeout:.0f} s; its log: {self.log_file}"
        )

    def stop(self) -> None:
        pid = self.running_pid()
        if pid:
            # kc.sh passes SIGTERM on to its Java process and waits for it.
            stop_pid(pid, timeout=30)
            _end_process_group(pid)
        self.pid_file.unlink(missing_ok=True)


def _end_process_group(pgid: int) -> None:
    """Our own process group (started with a new session): nothing of it may outlive stop()."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 2  # gone as soon as it is gone, not after a fixed 2 s
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)


# ---------------------------------------------------------------- local-only additions


def strong_password() -> str:
    """A generated password the realm's policy accepts (length, upper, lower, digit)."""
    return f"{secrets.token_urlsafe(18)}Zq7"


def totp_secret() -> str:
    """A raw TOTP secret as Keycloak stores it (authenticator apps get its base32 form)."""
    return secrets.token_hex(10)


def totp_key(secret: str) -> str:
    """The base32 key of a raw Keycloak TOTP secret, as a QR code or pyotp.TOTP takes it."""
    return base64.b32encode(secret.encode()).decode()


def otp_credential(secret: str) -> dict:
    """A TOTP credential representation for the admin API (the realm's policy: 6 digits, 30 s, SHA-1)."""
    return {
        "type": "otp",
        "userLabel": "demo",
        "secretData": json.dumps({"value": secret}),
        "credentialData": json.dumps(
            {"subType": "totp", "digits": 6, "period": 30, "algorithm": "HmacSHA1", "counter": 0}
        ),
    }


def harden_master_realm(admin) -> None:
    admin.update_realm("master", MASTER_BRUTE_FORCE)


def ensure_local_tokens_client(admin, realm_file: Path = REALM_FILE) -> None:
    """The local client for tokens by password, with the CLI client's audiences and groups mappers."""
    if admin.get_client_id(LOCAL_TOKENS_CLIENT):
        return
    flow_id = _password_only_direct_grant_flow(admin)
    cli = next(c for c in json.loads(realm_file.read_text())["clients"] if c["clientId"] == CLI_CLIENT)
    admin.create_client(
        {
            "clientId": LOCAL_TOKENS_CLIENT,
            "name": "LOCAL ONLY: demo and test tokens by password (never in a deployed realm)",
            "enabled": True,
            "protocol": "openid-connect",
            "publicClient": True,
            "standardFlowEnabled": False,
            "implicitFlowEnabled": False,
            "directAccessGrantsEnabled": True,
            "serviceAccountsEnabled": False,
            "fullScopeAllowed": True,
            "protocolMappers": cli["protocolMappers"],
            "authenticationFlowBindingOverrides": {"direct_grant": flow_id},
        },
        skip_exists=True,
    )


def _password_only_direct_grant_flow(admin) -> str:
    flows = {f["alias"]: f["id"] for f in admin.get_authentication_flows()}
    if LOCAL_TOKENS_FLOW not in flows:
        admin.create_authentication_flow(
            {
                "alias": LOCAL_TOKENS_FLOW,
                "providerId": "basic-flow",
                "topLevel": True,
                "builtIn": False,
                "description": "LOCAL ONLY: username and password, no second factor (demo and test tokens)",
            }
        )
        for provider in ("direct-grant-validate-username", "direct-grant-validate-password"):
            admin.create_authentication_flow_execution({"provider": provider}, LOCAL_TOKENS_FLOW)
        for execution in admin.get_authentication_flow_executions(LOCAL_TOKENS_FLOW):
            admin.update_authentication_flow_executions(
                {"id": execution["id"], "requirement": "REQUIRED"}, LOCAL_TOKENS_FLOW
            )
        flows = {f["alias"]: f["id"] for f in admin.get_authentication_flows()}
    return flows[LOCAL_TOKENS_FLOW]


# ---------------------------------------------------------------- demo users


def admin_client(server: Keycloak):
    """python-keycloak admin client on realm zgov, logged in as the bootstrap admin of master."""
    from keycloak import KeycloakAdmin

    return KeycloakAdmin(
        server_url=server.url,
        username=ADMIN_USERNAME,
        password=server.admin_password(),
        realm_name=REALM,
        user_realm_name="master",
        verify=False,
    )


def demo_contacts(user: DemoUser) -> dict[str, list[str]]:
    """A made-up mobile number (138 0000 00NN) and messaging accounts named after the username."""
    number = DEMO_USERS.index(user) + 1
    return {
        "phone": [f"138000000{number:02d}"],
        "wecom_user_id": [user.username],
        "dingtalk_user_id": [user.username],
    }


def ensure_demo_users(server: Keycloak) -> dict[str, dict]:
    """One user per position, created once; re-running only fills in what is missing."""
    stored = server.demo_users()
    if stored and all(u.username in stored for u in DEMO_USERS):
        return stored
    admin = admin_client(server)
    groups = {g["name"]: g["id"] for g in admin.get_groups({"briefRepresentation": True, "max": 1000})}
    for user in DEMO_USERS:
        if user.username in stored:
            continue
        password = strong_password()
        # Officers sign in to the portal with a second factor: enrolled here, the secret kept below.
        secret = totp_secret() if user.position != "citizen" else ""
        user_id = admin.get_user_id(user.username)
        if not user_id:
            user_id = admin.create_user(
                {
                    "username": user.username,
                    "enabled": True,
                    "firstName": user.first_name,
                    "lastName": user.last_name,
                    "email": f"{user.username}@ziyang.example",
                    "emailVerified": True,
                    # where the notify service reaches them (realm user profile: phone, 企业微信, 钉钉)
                    "attributes": demo_contacts(user),
                    "credentials": [
                        {"type": "password", "value": password, "temporary": False},
                        *([otp_credential(secret)] if secret else []),
                    ],
                },
                exist_ok=False,
            )
        else:
            admin.set_user_password(user_id, password, temporary=False)
            secret = ""  # enrolled at the first browser sign-in instead
        admin.assign_realm_roles(user_id, [admin.get_realm_role(user.position)])
        if user.group:
            admin.group_user_add(user_id, groups[user.group])
        stored[user.username] = {
            "password": password,
            "position": user.position,
            "group": user.group,
            "name": f"{user.last_name}{user.first_name}",
            **({"totp_key": totp_key(secret)} if secret else {}),
        }
        _write_private(server.demo_users_file, stored)
    return stored

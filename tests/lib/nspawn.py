"""Debian 12 containers booted with systemd-nspawn, for the opt-in tests that run the .deb under a
real systemd (test_systemd_boot.py, test_deploy_cluster.py). Needs root.

- ensure_root_cache(): a debootstrapped Debian 12 root, made once (TIDAL_BOOT_ROOT_CACHE, default
  /var/tmp/tidal-boot-bookworm; needs the network to TIDAL_BOOT_MIRROR).
- ensure_package(): the .deb to test: TIDAL_BOOT_DEB, else a Release build of this source tree
  packaged by CPack in TIDAL_BOOT_BUILD_DIR (default /var/tmp/tidal-boot-build).
- Container: a copy of a root, booted (private network or a network zone shared with other
  containers), commands run inside through nsenter, stopped by the pid of its own nspawn.
"""

import os
import shutil
import subprocess
import sys
import time

from . import paths, process

ROOT_CACHE = os.environ.get("TIDAL_BOOT_ROOT_CACHE", "/var/tmp/tidal-boot-bookworm")
BUILD_DIR = os.environ.get("TIDAL_BOOT_BUILD_DIR", "/var/tmp/tidal-boot-build")
MIRROR = os.environ.get("TIDAL_BOOT_MIRROR", "http://deb.debian.org/debian")
BASE_PACKAGES = "systemd,systemd-sysv,dbus,bind9-dnsutils"
CONTAINER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
REQUIRED_TOOLS = ("systemd-nspawn", "nsenter", "dpkg-deb", "cp")


def run(argv, timeout=600, env=None, cwd=None, input=None):
    """argv to completion, text output captured."""
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout, env=env, cwd=cwd,
                          input=input, stdin=None if input is not None else subprocess.DEVNULL)


def describe(done):
    return "$ %s\nexit %d\n%s%s" % (" ".join(done.args), done.returncode, done.stdout,
                                    done.stderr)


def checked(argv, timeout=600, **kwargs):
    done = run(argv, timeout=timeout, **kwargs)
    if done.returncode != 0:
        raise AssertionError(describe(done))
    return done


def missing_tools():
    """What this host lacks to boot containers (empty when nothing)."""
    missing = [t for t in REQUIRED_TOOLS if shutil.which(t) is None]
    if os.geteuid() != 0:
        missing.insert(0, "root")
    return missing


def ensure_root_cache():
    """The debootstrapped root, made once. Raises with the reason when it cannot be made."""
    marker = os.path.join(ROOT_CACHE, ".tidal-complete")
    if os.path.exists(marker):
        return ROOT_CACHE
    if shutil.which("debootstrap") is None:
        raise AssertionError("debootstrap is missing (apt-get install debootstrap), and there "
                             "is no prepared root in %s" % ROOT_CACHE)
    partial = ROOT_CACHE + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    sys.stderr.write("debootstrap bookworm into %s (once)\n" % partial)
    checked(["debootstrap", "--variant=minbase", "--include=" + BASE_PACKAGES, "bookworm",
             partial, MIRROR], timeout=1800)
    shutil.rmtree(ROOT_CACHE, ignore_errors=True)
    os.rename(partial, ROOT_CACHE)
    open(marker, "w").close()
    return ROOT_CACHE


def ensure_package():
    """The .deb to test: TIDAL_BOOT_DEB, else a Release build of this tree packaged by CPack."""
    given = os.environ.get("TIDAL_BOOT_DEB")
    if given:
        if not os.path.isfile(given):
            raise AssertionError("TIDAL_BOOT_DEB=%s does not exist" % given)
        return given
    source = paths.SOURCE_DIR
    sys.stderr.write("Release build of %s in %s\n" % (source, BUILD_DIR))
    checked(["cmake", "-S", source, "-B", BUILD_DIR, "-DCMAKE_BUILD_TYPE=Release",
             "-DTIDAL_TESTS=OFF", "-DCMAKE_INSTALL_PREFIX=/usr"])
    checked(["cmake", "--build", BUILD_DIR, "-j", str(os.cpu_count() or 2)], timeout=3600)
    out = os.path.join(BUILD_DIR, "deb")
    shutil.rmtree(out, ignore_errors=True)
    checked(["cpack", "-G", "DEB", "--config", os.path.join(BUILD_DIR, "CPackConfig.cmake"),
             "-B", out], timeout=1200)
    debs = [n for n in os.listdir(out) if n.endswith(".deb")]
    if len(debs) != 1:
        raise AssertionError("cpack made %r" % debs)
    return os.path.join(out, debs[0])


def nspawn_argv(root, name, *extra):
    """systemd-nspawn on root, not registered with machined (the host may have none), in the
    caller's scope (nothing left behind in the host's systemd)."""
    return ["systemd-nspawn", "--quiet", "--directory=" + root, "--register=no", "--keep-unit",
            "--machine=" + name] + list(extra)


def prepare_root(cache, deb, root, name, extra_packages=()):
    """A copy of cache in root with the package's dependencies (and extra_packages) installed
    from the Debian archive, through the host's network (the booted containers have none)."""
    checked(["cp", "-a", "--reflink=auto", cache, root], timeout=600)
    depends = checked(["dpkg-deb", "-f", deb, "Depends"]).stdout.strip()
    wanted = ", ".join([depends] + list(extra_packages))
    for argv in (["apt-get", "update", "-q"],
                 ["apt-get", "satisfy", "-y", "-q", "--no-install-recommends", wanted]):
        done = run(nspawn_argv(root, name, "--pipe", "--setenv=DEBIAN_FRONTEND=noninteractive",
                               "--resolv-conf=copy-host") + argv, timeout=900)
        if done.returncode != 0:
            raise AssertionError("in the container: " + describe(done))


class Container:
    """A root directory booted with systemd-nspawn; commands run in it via nsenter.

    network: nspawn's network options, default a private network with loopback only; e.g.
    ["--network-zone=NAME"] puts the container's host0 on the host bridge vz-NAME, shared by
    every container of that zone (nspawn creates the bridge and removes it with the last one).
    """

    def __init__(self, root, name, log_path, network=("--private-network",)):
        self.root = root
        self.name = name
        self.log_path = log_path
        self.network = list(network)
        self.proc = None
        self.leader = None

    def nspawn(self, *extra):
        return nspawn_argv(self.root, self.name, *extra)

    def start(self):
        """Starts the boot; wait_booted() waits for it (so that several boot at once)."""
        self.proc = process.ManagedProcess(
            self.nspawn("--boot", "--console=pipe", *self.network), self.log_path)

    def wait_booted(self, timeout=120):
        # The container's init is nspawn's child.
        deadline = time.monotonic() + timeout
        while self.leader is None and time.monotonic() < deadline:
            if not self.proc.alive():
                raise AssertionError("systemd-nspawn exited:\n" + self.proc.log_text())
            self.leader = self.find_leader()
            time.sleep(0.2)
        if self.leader is None:
            raise AssertionError("no init process under systemd-nspawn")
        # Until systemd inside has its private socket, systemctl cannot ask it anything.
        state = None
        while time.monotonic() < deadline:
            left = max(1.0, deadline - time.monotonic())
            state = self.run(["systemctl", "is-system-running", "--wait"], timeout=left)
            if state.stdout.strip() not in ("", "offline", "unknown"):
                break
            time.sleep(0.2)
        if state is None or state.stdout.strip() != "running":
            failed = self.run(["systemctl", "--failed", "--no-pager"])
            raise AssertionError("the container %s booted %r:\n%s" % (
                self.name, state.stdout.strip() if state else None, failed.stdout))

    def boot(self, timeout=120):
        self.start()
        self.wait_booted(timeout)

    def find_leader(self):
        try:
            with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
                children = f.read().split()
        except OSError:
            return None
        for child in children:
            try:
                with open("/proc/%s/comm" % child) as f:
                    if f.read().strip() == "systemd":
                        return int(child)
            except OSError:
                continue
        return None

    def run(self, argv, timeout=120, input=None):
        """argv inside the container, as root, with a clean environment."""
        return run(["nsenter", "--target", str(self.leader), "--all", "--",
                    "/usr/bin/env", "-i", "PATH=" + CONTAINER_PATH, "LANG=C.UTF-8",
                    "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0"] + list(argv), timeout=timeout,
                   input=input)

    def sh(self, script, timeout=120):
        """A shell command line inside the container (pipes, &&), as an operator types it."""
        return self.run(["/bin/sh", "-c", script], timeout=timeout)

    def host_net(self, argv, timeout=30):
        """A host binary (e.g. ip) inside the container's network namespace only."""
        return run(["nsenter", "--target", str(self.leader), "--net", "--"] + list(argv),
                   timeout=timeout)

    def write(self, path, text):
        with open(os.path.join(self.root, path.lstrip("/")), "w") as f:
            f.write(text)

    def poweroff(self):
        """Asks the container's systemd to power off, without waiting (shutdown() waits)."""
        if self.proc is not None and self.leader is not None and self.proc.alive():
            run(["nsenter", "--target", str(self.leader), "--all", "--", "systemctl",
                 "poweroff", "--no-block"], timeout=30)

    def shutdown(self):
        """Powers the container off and waits (bounded) for its nspawn to exit."""
        if self.proc is None:
            return
        self.poweroff()
        process.wait_until(lambda: not self.proc.alive(), 60, interval=0.2)
        self.proc.stop(timeout=30)  # SIGTERM (nspawn halts the container), then SIGKILL

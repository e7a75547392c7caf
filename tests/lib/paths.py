"""Where things are: the source tree, the binaries under test, the zone files."""

import os
import shutil

LIB_DIR = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("TIDAL_SOURCE_DIR") or \
    os.path.normpath(os.path.join(LIB_DIR, "..", ".."))
ZONES_DIR = os.path.join(SOURCE_DIR, "zones")

# Default build directory for runs by hand (ctest sets TIDALD/TIDALCTL/TIDAL_SYNC).
_DEFAULT_BUILD = os.environ.get("TIDAL_BUILD_DIR", "/tmp/build-tests")

# The test zones: (origin, file name in zones/). huge.test. is kept apart because it holds an
# RRset larger than any DNS message (no AXFR of it is possible); the query tests and the
# differential test serve it too (lib.query_case.ALL_ZONES).
STANDARD_ZONES = [
    ("example.test.", "example.test.zone"),
    ("cname.test.", "cname.test.zone"),
    ("wild.test.", "wild.test.zone"),
    ("parent.test.", "parent.test.zone"),
    ("child.parent.test.", "child.parent.test.zone"),
    ("big.test.", "big.test.zone"),
    ("names.test.", "names.test.zone"),
]
HUGE_ZONE = ("huge.test.", "huge.test.zone")


def zone_path(file_name):
    """Absolute path of a zone file in zones/."""
    return os.path.join(ZONES_DIR, file_name)


def binary(env_name, default_relative):
    """The binary named by env_name, else the one in the default build directory."""
    path = os.environ.get(env_name) or os.path.join(_DEFAULT_BUILD, default_relative)
    return path


def tidald():
    return binary("TIDALD", "server/tidald")


def tidalctl():
    return binary("TIDALCTL", "tools/tidalctl")


def tidal_sync():
    return binary("TIDAL_SYNC", "zone-sync/tidal-sync")


def knotd():
    return os.environ.get("KNOTD") or shutil.which("knotd") or "/usr/sbin/knotd"


def knotc():
    return shutil.which("knotc") or "/usr/sbin/knotc"


def named():
    """BIND 9 (Debian package bind9)."""
    return os.environ.get("NAMED") or shutil.which("named") or "/usr/sbin/named"


def rndc():
    return shutil.which("rndc") or "/usr/sbin/rndc"


def nsupdate():
    return shutil.which("nsupdate") or "/usr/bin/nsupdate"


def named_checkconf():
    return shutil.which("named-checkconf") or "/usr/bin/named-checkconf"


def named_compilezone():
    """BIND's zone compiler (bind9-utils): prints a zone one RR per line, absolute names."""
    return shutil.which("named-compilezone") or "/usr/bin/named-compilezone"


def dig():
    return shutil.which("dig") or "/usr/bin/dig"


def kdig():
    return shutil.which("kdig") or "/usr/bin/kdig"

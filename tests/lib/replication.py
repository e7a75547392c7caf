"""What a replication test configures on each peer, independent of the server software:
remotes (another server on loopback, with the TSIG key used to talk to it) and zones with
their role, primaries, NOTIFY targets and access lists. The Knot, BIND and Tidal runners turn
these into their own configuration syntax."""

from .tsigkeys import TsigKey


class Remote:
    """Another server as this one sees it: an id (used in config files), its loopback port and
    the TSIG key for messages to and from it (or None)."""

    def __init__(self, id, port, key=None, address="127.0.0.1"):
        self.id = id
        self.port = port
        self.key = key
        self.address = address

    def __repr__(self):
        return "<Remote %s %s:%s key=%s>" % (self.id, self.address, self.port,
                                             self.key.name if self.key else None)


class ZoneSpec:
    """One zone on one server.

    role "primary": served from `file` (a master file; runners that write to it copy it
    first). role "secondary": transferred from `primaries` (list of Remote, tried in order).
    notify: Remotes to NOTIFY after each change. allow_transfer / allow_notify /
    allow_update: TsigKey objects (signed with that key, from 127.0.0.1) or address strings
    ("127.0.0.1", unsigned) or Remote objects (Tidal: the remote id).
    max_staleness / stale_policy: Tidal's bounded staleness for the zone (ARCHITECTURE.md),
    as the config spells them ("4s", "refuse" | "serve"); None leaves the key out.
    """

    def __init__(self, origin, file=None, role="primary", primaries=(), notify=(),
                 allow_transfer=(), allow_notify=(), allow_update=(), max_staleness=None,
                 stale_policy=None):
        if role not in ("primary", "secondary"):
            raise ValueError("role must be primary or secondary, not %r" % role)
        if role == "primary" and not file:
            raise ValueError("a primary zone needs a file")
        if role == "secondary" and not primaries:
            raise ValueError("a secondary zone needs primaries")
        self.origin = origin if origin.endswith(".") else origin + "."
        self.file = file
        self.role = role
        self.primaries = list(primaries)
        self.notify = list(notify)
        self.allow_transfer = list(allow_transfer)
        self.allow_notify = list(allow_notify)
        self.allow_update = list(allow_update)
        if stale_policy not in (None, "refuse", "serve"):
            raise ValueError("stale_policy must be refuse or serve, not %r" % stale_policy)
        self.max_staleness = max_staleness
        self.stale_policy = stale_policy

    @property
    def name(self):
        """The origin without its trailing dot (BIND zone statements, file names)."""
        return self.origin.rstrip(".")

    def keys(self):
        """Every TsigKey this zone refers to (remotes and access lists), no repeats."""
        found = []
        for item in self.primaries + self.notify + self.allow_transfer + self.allow_notify + \
                self.allow_update:
            key = item.key if isinstance(item, Remote) else item
            if isinstance(key, TsigKey) and all(k.name != key.name for k in found):
                found.append(key)
        return found

    def __repr__(self):
        return "<ZoneSpec %s %s>" % (self.origin, self.role)


def keys_of(zones, remotes=(), extra=()):
    """The TsigKeys needed by these zones and remotes, each name once."""
    found = []
    candidates = list(extra) + [r.key for r in remotes]
    for z in zones:
        candidates += z.keys()
    for key in candidates:
        if isinstance(key, TsigKey) and all(k.name != key.name for k in found):
            found.append(key)
    return found


def remotes_of(zones, extra=()):
    """The Remotes these zones refer to, each id once."""
    found = []
    for r in list(extra) + [r for z in zones for r in z.primaries + z.notify +
                            z.allow_transfer + z.allow_notify if isinstance(r, Remote)]:
        if all(f.id != r.id for f in found):
            found.append(r)
    return found

"""TSIG keys (RFC 8945) for the replication tests: a fresh random secret per test run, written
in the syntax of each peer (Knot `key:`, BIND `key {}`, Tidal `keys:`, dig/nsupdate `-y`)."""

import base64
import os

# The algorithms every peer here understands (Knot 3.2, BIND 9.18, Tidal) and their key sizes:
# RFC 8945 §6 asks for a secret at least as long as the hash output.
_SECRET_OCTETS = {"hmac-sha256": 32, "hmac-sha512": 64, "hmac-sha1": 20}


class TsigKey:
    """A shared secret: name (presentation, no trailing dot), algorithm, base64 secret."""

    def __init__(self, name, algorithm="hmac-sha256", secret=None):
        if algorithm not in _SECRET_OCTETS:
            raise ValueError("unsupported TSIG algorithm %r" % algorithm)
        self.name = name.rstrip(".")
        self.algorithm = algorithm
        self.secret = secret or base64.b64encode(os.urandom(_SECRET_OCTETS[algorithm])).decode()

    @classmethod
    def random(cls, name, algorithm="hmac-sha256"):
        return cls(name, algorithm)

    def with_secret(self, secret):
        """The same name and algorithm with another secret (to test a wrong key)."""
        return TsigKey(self.name, self.algorithm, secret)

    def wrong_secret(self):
        """Same name and algorithm, a different random secret."""
        other = TsigKey(self.name, self.algorithm)
        while other.secret == self.secret:  # astronomically unlikely; bounded by chance
            other = TsigKey(self.name, self.algorithm)
        return other

    def dig_arg(self):
        """The -y argument of dig and nsupdate: alg:name:secret."""
        return "%s:%s:%s" % (self.algorithm, self.name, self.secret)

    def knot_conf(self):
        """Lines of a Knot `key:` list entry."""
        return ["  - id: %s" % self.name,
                "    algorithm: %s" % self.algorithm,
                "    secret: %s" % self.secret]

    def bind_conf(self):
        """A BIND `key` statement."""
        return 'key "%s" { algorithm %s; secret "%s"; };' % (self.name, self.algorithm,
                                                              self.secret)

    def tidal_conf(self):
        """An entry of Tidal's `keys:` list (INTERFACE.md)."""
        return '  - { name: %s, algorithm: %s, secret: "%s" }' % (self.name, self.algorithm,
                                                                  self.secret)

    def __repr__(self):
        return "<TsigKey %s %s>" % (self.name, self.algorithm)

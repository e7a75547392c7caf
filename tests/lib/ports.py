"""Free loopback ports: bind port 0 on UDP and TCP and hand out what the kernel chose."""

import socket

_handed_out = set()


def free_port(host="127.0.0.1"):
    """A port free for both UDP and TCP on host right now, never the same one twice per process.

    There is a window between this check and the server's bind; callers that start a server
    retry with a new port when the bind fails.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(50):
        with socket.socket(family, socket.SOCK_DGRAM) as udp:
            udp.bind((host, 0))
            port = udp.getsockname()[1]
            if port in _handed_out:
                continue
            with socket.socket(family, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((host, port))
                except OSError:
                    continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free UDP+TCP port found on %s after 50 tries" % host)

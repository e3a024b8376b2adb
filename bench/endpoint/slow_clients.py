#!/usr/bin/env python3
"""Holds N slow connections to an HTTP server until killed: half send a request line that never
ends, half a POST announcing a body that never comes. Prints how many connected and, every
second, how many the server has closed."""
import socket
import sys
import time

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
held, failed = [], 0
deadline = time.monotonic() + 30  # connections still refused or pending after 30 s count as failed
for i in range(count):
    if time.monotonic() > deadline:
        failed += count - i
        break
    try:
        s = socket.create_connection((host, port), timeout=1)
        if i % 2 == 0:
            s.sendall(b"GET /api/ws/metr")
        else:
            s.sendall(b"POST /api/ws/metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
        s.setblocking(False)
        held.append(s)
    except OSError:
        failed += 1
print(f"slow clients: {len(held)} connected, {failed} could not connect", flush=True)
while True:
    time.sleep(1)
    open_now = 0
    for s in held:
        try:
            data = s.recv(4096)
            if data == b"":
                continue  # closed by the server
            open_now += 1
        except BlockingIOError:
            open_now += 1
        except OSError:
            pass
    print(f"slow clients: {open_now} still open", flush=True)

#!/usr/bin/env python3
"""A TCP service that a guest must never reach: it logs every connection it accepts.

Usage: listener.py ADDR PORT LOG BODY
Binds ADDR:PORT (the host's 127.0.0.1, or 169.254.169.254 inside a test's network
namespace, standing in for the host's real metadata service), writes "listening" to LOG
once bound, then for every connection one line "connection from IP:PORT" (before it reads
anything, so a connect that sends nothing is logged too) and answers BODY as HTTP/1.0.
"""
import socket
import sys
import threading


def serve(conn, peer, log, body):
    with log_lock:
        log.write("connection from %s:%d\n" % peer[:2])
        log.flush()
    conn.settimeout(2)
    try:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(body), body))
    except OSError:
        pass
    conn.close()


log_lock = threading.Lock()


def main():
    addr, port, path, body = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].encode()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    with open(path, "a") as log:
        log.write("listening\n")
        log.flush()
        while True:
            conn, peer = s.accept()
            threading.Thread(target=serve, args=(conn, peer, log, body), daemon=True).start()


if __name__ == "__main__":
    main()

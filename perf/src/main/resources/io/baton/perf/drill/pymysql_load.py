# The failover drill's PyMySQL load: autocommit inserts through Baton from several sessions, as a
# Python application writes. A session that gets an error closes its connection and opens a new one
# 10 ms later, so new logins keep arriving while the source is down.
#   DRILL_PASSWORD=... python3 pymysql_load.py PORT USER SESSIONS FIRST_ID   (the password in the environment, not argv)
# Reports on stdout, one line per event, times from the monotonic clock (the JVM's System.nanoTime):
#   A id start end      an acknowledged insert
#   E errno start end   an error (-1: no MySQL error number)
#   R                   a reconnect
# Stops when stdin closes or says anything.
import os
import sys
import threading
import time

import pymysql

port, user, sessions, first_id = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
password = os.environ["DRILL_PASSWORD"]
stop = threading.Event()
out_lock = threading.Lock()
next_id = [first_id]


def emit(line):
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def take_id():
    with out_lock:
        next_id[0] += 1
        return next_id[0]


def errno_of(e):
    a = getattr(e, "args", ())
    return a[0] if a and isinstance(a[0], int) else -1


def session(n):
    conn = None
    first = True
    while not stop.is_set():
        t0 = time.monotonic_ns()
        try:
            if conn is None:
                conn = pymysql.connect(host="127.0.0.1", port=port, user=user, password=password, database="app",
                                       autocommit=True, connect_timeout=5, read_timeout=30, write_timeout=30)
                if not first:
                    emit("R")
                first = False
            i = take_id()
            t0 = time.monotonic_ns()
            with conn.cursor() as c:
                c.execute("INSERT INTO app.drill VALUES (%s, %s, %s)", (i, 1000 + n, int(time.time() * 1000)))
            emit("A %d %d %d" % (i, t0, time.monotonic_ns()))
            time.sleep(0.002)
        except Exception as e:  # any error: as an application would, drop the connection and open a new one
            emit("E %d %d %d" % (errno_of(e), t0, time.monotonic_ns()))
            try:
                if conn is not None:
                    conn.close()
            except Exception:
                pass
            conn = None
            time.sleep(0.01)
    if conn is not None:
        try:
            conn.close()
        except Exception:
            pass


threads = [threading.Thread(target=session, args=(n,), daemon=True) for n in range(sessions)]
for t in threads:
    t.start()
sys.stdin.readline()
stop.set()
for t in threads:
    t.join(35)

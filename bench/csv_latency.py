#!/usr/bin/env python3
"""csv_latency.py FILE SECONDS [first]

Follows a store_csv file (written with buffer=0) for SECONDS and prints the
latency of every row that appears: arrival time minus the row's Time column
(the sample's timestamp), as "n p50 p99 max" in milliseconds.  With "first",
prints only the seconds from start until the first row appears.
Polling every 2 ms bounds the measurement error to ~2 ms.
"""
import os
import sys
import time


def main():
    path, secs = sys.argv[1], float(sys.argv[2])
    first = len(sys.argv) > 3 and sys.argv[3] == "first"
    start = time.time()
    end = start + secs
    f = None
    buf = ""
    lat = []
    while time.time() < end:
        if f is None:
            try:
                f = open(path)
                if not first:
                    f.seek(0, os.SEEK_END)
            except FileNotFoundError:
                time.sleep(0.002)
                continue
        chunk = f.read()
        if not chunk:
            time.sleep(0.002)
            continue
        now = time.time()
        buf += chunk
        *lines, buf = buf.split("\n")
        for line in lines:
            if not line or line.startswith("#"):
                continue
            if first:
                print("%.3f" % (now - start))
                return
            lat.append((now - float(line.split(",", 1)[0])) * 1000.0)
    if first:
        print("none")
        return
    if not lat:
        print("0 - - -")
        return
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print("%d %.1f %.1f %.1f" % (len(lat), pick(0.5), pick(0.99), lat[-1]))


main()

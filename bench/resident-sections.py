#!/usr/bin/env python3
"""Which sections of a running process's executable are resident: reads /proc/PID/pagemap (needs root) for each
mapping of /proc/PID/exe and attributes every present page to the ELF section (readelf -S) that holds it.

  sudo python3 bench/resident-sections.py PID        # e.g. the pid of `flux start server` after a load

Prints kB per section and mapping permission, largest first (docs/performance.md, session 4).
"""
import collections
import os
import re
import struct
import subprocess
import sys

PAGE = os.sysconf("SC_PAGE_SIZE")


def sections(path):
    out = subprocess.run(["readelf", "-SW", path], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if m and m.group(1).startswith("."):
            found.append((int(m.group(2), 16), int(m.group(3), 16), m.group(1)))
    return found


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    pid = int(sys.argv[1])
    exe = os.path.realpath(f"/proc/{pid}/exe")
    table = sections(exe)
    resident = collections.Counter()
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        for line in maps:
            parts = line.split()
            if len(parts) < 6 or os.path.realpath(parts[5]) != exe:
                continue
            low, high = (int(x, 16) for x in parts[0].split("-"))
            offset = int(parts[2], 16)
            pagemap.seek(low // PAGE * 8)
            entries = pagemap.read((high - low) // PAGE * 8)
            for i in range((high - low) // PAGE):
                if not struct.unpack_from("<Q", entries, i * 8)[0] >> 63 & 1:
                    continue
                at = offset + i * PAGE
                name = next((n for start, size, n in table if start <= at < start + max(size, 1)), "(no section)")
                resident[f"{name} {parts[1]}"] += PAGE // 1024
    for key, kb in resident.most_common():
        print(f"{kb:8d} kB  {key}")
    print(f"{sum(resident.values()):8d} kB  total of {exe}")


if __name__ == "__main__":
    main()

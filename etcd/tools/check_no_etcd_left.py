#!/usr/bin/env python3
"""Fails if an etcd process whose data directory lies under DIR is running.

Used as the CTest cleanup fixture of the etcd tests: every etcd they start
keeps its --data-dir under the build's etcd testdata directory, so any such
process left after the tests is one they failed to stop. Processes of other
users of this machine (other data directories) are not ours and are ignored.
Usage: check_no_etcd_left.py DIR
"""
import os
import sys


def leftovers(root):
    root = os.path.realpath(root)
    found = []
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open(f'/proc/{pid}/cmdline', 'rb') as f:
                argv = f.read().split(b'\0')
            with open(f'/proc/{pid}/stat') as f:
                state = f.read().rsplit(')', 1)[1].split()[0]
        except OSError:
            continue
        if state == 'Z' or not argv or not os.path.basename(argv[0].decode(errors='replace')) == 'etcd':
            continue
        args = [a.decode(errors='replace') for a in argv]
        for i, a in enumerate(args):
            d = args[i + 1] if a == '--data-dir' and i + 1 < len(args) else (
                a.split('=', 1)[1] if a.startswith('--data-dir=') else None)
            if d and os.path.realpath(d).startswith(root + os.sep):
                found.append((int(pid), d))
    return found


def main(argv):
    if len(argv) != 2:
        sys.stderr.write('usage: check_no_etcd_left.py DIR\n')
        return 2
    left = leftovers(argv[1])
    for pid, d in left:
        print(f'etcd pid {pid} left running (data dir {d})')
    if left:
        return 1
    print(f'no etcd process with a data directory under {argv[1]}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

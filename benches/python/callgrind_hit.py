"""Instructions per cache-hit `get`, for comparing builds of the native module
without timing noise (valgrind's callgrind counts instructions, whatever else
the machine does). Run it with 0 and with N calls; the difference over N is
the cost of one call (the loop included):

    valgrind --tool=callgrind python benches/python/callgrind_hit.py SO {str|int|usual} 0
    valgrind --tool=callgrind python benches/python/callgrind_hit.py SO {str|int|usual} 100000

SO is a build of ``ssmconf._ssmconf`` (as for ``bench_hit.py --compare``);
``usual`` reads through a key object no shortcut holds.
"""

import sys

import bench_hit

native = bench_hit.load_native(sys.argv[1], "v0")
r = bench_hit.resolver(native)
mode, n = sys.argv[2], int(sys.argv[3])
key = {"str": "models.basic", "int": "models.max"}.get(mode) or bench_hit.usual_key(r)
get = r.get
get(key)
for _ in range(n):
    get(key)

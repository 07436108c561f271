"""The queue model of lockstage's M/M/16 benchmark, in SimPy 2 (Debian's python3-simpy), the
way a DBA would write it by hand: Poisson arrivals, 16 servers, exponential service, first come
first served. Prints customers served and wall seconds.

usage: mm16_simpy.py CUSTOMERS [SEED]
"""
import random
import sys
import time

from SimPy.Simulation import Process, Resource, activate, hold, initialize, now, release, request, simulate

RATE = 1000.0            # arrivals per second
SERVICE_MEAN = 0.0112    # seconds: rho = 1000 * 0.0112 / 16 = 0.7
SERVERS = 16


class Customer(Process):
    def visit(self, pool, stats):
        arrived = now()
        yield request, self, pool
        stats["wait"] += now() - arrived
        yield hold, self, random.expovariate(1.0 / SERVICE_MEAN)
        yield release, self, pool
        stats["served"] += 1


class Source(Process):
    def generate(self, n, pool, stats):
        for _ in range(n):
            c = Customer()
            activate(c, c.visit(pool, stats))
            yield hold, self, random.expovariate(RATE)


def main():
    n = int(sys.argv[1])
    random.seed(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    initialize()
    pool = Resource(capacity=SERVERS)
    stats = {"served": 0, "wait": 0.0}
    source = Source()
    activate(source, source.generate(n, pool, stats))
    started = time.perf_counter()
    simulate(until=n / RATE * 2 + 100)
    wall = time.perf_counter() - started
    print(f"{stats['served']} {wall:.6f} {stats['wait'] / max(1, stats['served']) * 1000:.4f}")


main()

# threads_lock.py - several threads updating shared state under locks
import threading

N_THREADS = 8
ROUNDS = 20000

lock = threading.Lock()
rlock = threading.RLock()
total = 0
per_thread = {}
log = []


def bump(i, k):
    # re-entrant: take the RLock twice
    with rlock:
        with rlock:
            log.append((i, k))


def work(i):
    global total
    for k in range(ROUNDS):
        with lock:
            total += (i * 31 + k) % 97
            per_thread[i] = per_thread.get(i, 0) + 1
        if k % 1000 == 0:
            bump(i, k)


threads = [threading.Thread(target=work, args=(i,), name="w%d" % i)
           for i in range(N_THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()

expect = sum((i * 31 + k) % 97 for i in range(N_THREADS) for k in range(ROUNDS))
print("total", total, "expected", expect, total == expect)
print("per thread", sorted(per_thread.items()))
print("log", len(log), sorted(log)[:3], sorted(log)[-3:])
print("alive", [t.is_alive() for t in threads], threading.active_count())

# a thread's local data is its own
local = threading.local()
seen = []


def loc(i):
    local.v = i
    for _ in range(1000):
        local.v = local.v + 0
    with lock:
        seen.append(local.v)


ts = [threading.Thread(target=loc, args=(i,)) for i in range(6)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("locals", sorted(seen))

# pool.py - concurrent.futures.ThreadPoolExecutor
import concurrent.futures as cf
import hashlib
import threading


def digest(n):
    h = hashlib.sha256()
    for i in range(200):
        h.update(b"%d:%d;" % (n, i))
    return n, h.hexdigest()[:16]


def slow_square(n):
    threading.Event().wait(0.001 * (n % 5))
    return n * n


with cf.ThreadPoolExecutor(max_workers=4) as ex:
    # map keeps the input order
    for n, d in ex.map(digest, range(12)):
        print("map", n, d)
    squares = list(ex.map(slow_square, range(40)))
    print("squares", sum(squares), squares[:8])

    futs = {ex.submit(slow_square, n): n for n in range(30)}
    got = sorted((futs[f], f.result()) for f in cf.as_completed(futs))
    print("as_completed", len(got), got[:5], got[-2:])

    def boom(n):
        raise ValueError("bad %d" % n)

    f = ex.submit(boom, 7)
    try:
        f.result()
    except ValueError as e:
        print("exception", e)

    done, pending = cf.wait([ex.submit(slow_square, n) for n in range(10)],
                            return_when=cf.ALL_COMPLETED)
    print("wait", len(done), len(pending), sorted(f.result() for f in done))

names = set()
lock = threading.Lock()


def who(_):
    with lock:
        names.add(threading.current_thread().name.split("_")[0])
    return 0


with cf.ThreadPoolExecutor(max_workers=3, thread_name_prefix="pool") as ex:
    list(ex.map(who, range(50)))
print("thread names", sorted(names))

# event_cond.py - threading.Event, Condition, Semaphore and Barrier
import threading

# Event: many waiters released at once
ev = threading.Event()
lock = threading.Lock()
woke = []


def waiter(i):
    ok = ev.wait(10)
    with lock:
        woke.append((i, ok))


ws = [threading.Thread(target=waiter, args=(i,)) for i in range(6)]
for t in ws:
    t.start()
print("before set", ev.is_set(), len(woke))
ev.set()
for t in ws:
    t.join()
print("event", sorted(woke))
ev.clear()
print("wait timeout", ev.wait(0.05))

# Condition: a bounded buffer, ping-pong between producer and consumer
cond = threading.Condition()
buf = []
CAP = 3
N = 3000
consumed = []


def produce():
    for i in range(N):
        with cond:
            while len(buf) >= CAP:
                cond.wait()
            buf.append(i)
            cond.notify_all()


def consume():
    for _ in range(N):
        with cond:
            while not buf:
                cond.wait()
            consumed.append(buf.pop(0))
            cond.notify_all()


p = threading.Thread(target=produce)
c = threading.Thread(target=consume)
c.start()
p.start()
p.join()
c.join()
print("condition", len(consumed), consumed == list(range(N)), sum(consumed))

with cond:
    print("wait_for timeout", cond.wait_for(lambda: False, timeout=0.05))

# Semaphore: at most 2 inside at once
sem = threading.BoundedSemaphore(2)
inside = 0
peak = 0


def limited(i):
    global inside, peak
    for _ in range(50):
        with sem:
            with lock:
                inside += 1
                peak = max(peak, inside)
            threading.Event().wait(0.0005)
            with lock:
                inside -= 1


ts = [threading.Thread(target=limited, args=(i,)) for i in range(5)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("semaphore peak <= 2", peak <= 2, "inside", inside)

# Barrier: every thread passes each phase together
bar = threading.Barrier(4)
phases = []


def phased(i):
    for ph in range(5):
        with lock:
            phases.append(ph)
        bar.wait()


ts = [threading.Thread(target=phased, args=(i,)) for i in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("barrier", phases == sorted(phases), len(phases))

# queue_pc.py - queue.Queue producers and consumers
import queue
import threading

N_PROD = 3
N_CONS = 4
ITEMS = 5000

q = queue.Queue(maxsize=16)   # small: producers block on put
results = queue.Queue()
done = object()


def producer(p):
    for i in range(ITEMS):
        q.put((p, i))


def consumer(c):
    s = 0
    n = 0
    while True:
        item = q.get()
        if item is done:
            q.task_done()
            break
        p, i = item
        s += p * 100000 + i
        n += 1
        q.task_done()
    results.put((c, n, s))


cons = [threading.Thread(target=consumer, args=(c,)) for c in range(N_CONS)]
prods = [threading.Thread(target=producer, args=(p,)) for p in range(N_PROD)]
for t in cons + prods:
    t.start()
for t in prods:
    t.join()
for _ in cons:
    q.put(done)
q.join()
for t in cons:
    t.join()

total_n = 0
total_s = 0
while not results.empty():
    c, n, s = results.get_nowait()
    total_n += n
    total_s += s
print("items", total_n, "sum", total_s)
print("expected", N_PROD * ITEMS,
      sum(p * 100000 + i for p in range(N_PROD) for i in range(ITEMS)))

# get with a timeout on an empty queue
try:
    q.get(timeout=0.05)
    print("got something?")
except queue.Empty:
    print("empty after timeout")

# LIFO and priority queues, filled and drained by two threads
pq = queue.PriorityQueue()
lq = queue.LifoQueue()


def fill():
    for i in (5, 3, 9, 1, 7):
        pq.put(i)
        lq.put(i)


t = threading.Thread(target=fill)
t.start()
t.join()
print("priority", [pq.get() for _ in range(5)])
print("lifo", [lq.get() for _ in range(5)])

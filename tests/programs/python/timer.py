# timer.py - threading.Timer: fires after its delay, can be cancelled
import threading
import time

fired = []
lock = threading.Lock()


def fire(tag):
    with lock:
        fired.append((tag, time.monotonic()))


start = time.monotonic()
timers = [threading.Timer(0.05 * (i + 1), fire, args=("t%d" % i,))
          for i in range(5)]
for t in timers:
    t.start()
cancelled = threading.Timer(0.1, fire, args=("cancelled",))
cancelled.start()
cancelled.cancel()
for t in timers:
    t.join()
cancelled.join()

print("fired", [tag for tag, _ in fired])
late = [tag for tag, when in fired
        if when - start < 0.05 * (int(tag[1:]) + 1) - 0.001]
print("too early", late)
print("in order", [tag for tag, _ in sorted(fired, key=lambda x: x[1])]
      == [tag for tag, _ in fired])

# a timer that is cancelled from another timer's callback
out = []
b = threading.Timer(0.2, out.append, args=("b",))
a = threading.Timer(0.02, lambda: (out.append("a"), b.cancel()))
b.start()
a.start()
a.join()
b.join()
print("chain", out)

# time.sleep in several threads at once
def sleeper(i):
    time.sleep(0.2)
    with lock:
        out.append(i)

ts = [threading.Thread(target=sleeper, args=(i,)) for i in range(10)]
t0 = time.monotonic()
for t in ts:
    t.start()
for t in ts:
    t.join()
el = time.monotonic() - t0
print("sleepers", sorted(out[1:]), "parallel", el < 1.5)

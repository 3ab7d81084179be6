// main.go - Go runtime exercises for the real-program tests: goroutines,
// channels, timers, sync and the garbage collector. Every subcommand prints
// a deterministic result; timing is checked inside and printed as ok/late.
package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func goroutines() {
	// many goroutines, each computing a part of a sum
	const n = 1000
	results := make([]uint64, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var s uint64
			for k := 0; k < 2000; k++ {
				s += uint64(i*k) % 1009
			}
			results[i] = s
		}(i)
	}
	wg.Wait()
	var total uint64
	for _, s := range results {
		total += s
	}
	fmt.Println("goroutines", n, "total", total)

	// a chain of goroutines passing a token along
	const chain = 2000
	first := make(chan int)
	in := first
	for i := 0; i < chain; i++ {
		out := make(chan int)
		go func(in <-chan int, out chan<- int) { out <- 1 + <-in }(in, out)
		in = out
	}
	first <- 0
	fmt.Println("chain", <-in)

	// runtime.Gosched ping between two goroutines
	var turns int64
	done := make(chan bool)
	for g := 0; g < 2; g++ {
		go func() {
			for i := 0; i < 10000; i++ {
				atomic.AddInt64(&turns, 1)
				runtime.Gosched()
			}
			done <- true
		}()
	}
	<-done
	<-done
	fmt.Println("gosched turns", atomic.LoadInt64(&turns))
}

func channels() {
	// unbuffered: a pipeline of three stages
	src := make(chan int)
	sq := make(chan int)
	go func() {
		for i := 1; i <= 10000; i++ {
			src <- i
		}
		close(src)
	}()
	go func() {
		for v := range src {
			sq <- v * v % 10007
		}
		close(sq)
	}()
	sum := 0
	for v := range sq {
		sum += v
	}
	fmt.Println("pipeline sum", sum)

	// buffered: fan-out to workers, fan-in of results
	jobs := make(chan int, 64)
	res := make(chan [2]int, 64)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				res <- [2]int{j, j * 3}
			}
		}()
	}
	go func() {
		for j := 0; j < 5000; j++ {
			jobs <- j
		}
		close(jobs)
	}()
	go func() { wg.Wait(); close(res) }()
	got := make([]int, 0, 5000)
	tot := 0
	for r := range res {
		got = append(got, r[0])
		tot += r[1]
	}
	sort.Ints(got)
	okAll := len(got) == 5000
	for i, v := range got {
		if v != i {
			okAll = false
		}
	}
	fmt.Println("fan-in", len(got), okAll, tot)

	// select over several channels, with a default and a quit channel
	a := make(chan int)
	b := make(chan string, 4)
	quit := make(chan struct{})
	go func() {
		for i := 0; i < 300; i++ {
			a <- i
		}
	}()
	go func() {
		for i := 0; i < 300; i++ {
			b <- strconv.Itoa(i)
		}
	}()
	na, nb, sa := 0, 0, 0
	for na+nb < 600 {
		select {
		case v := <-a:
			na++
			sa += v
		case s := <-b:
			nb++
			v, _ := strconv.Atoi(s)
			sa += v
		}
	}
	select {
	case <-quit:
		fmt.Println("quit?")
	default:
		fmt.Println("select default taken")
	}
	fmt.Println("select", na, nb, sa)

	// select with a timeout on a channel nobody sends on
	never := make(chan int)
	select {
	case <-never:
		fmt.Println("never?")
	case <-time.After(30 * time.Millisecond):
		fmt.Println("select timeout")
	}
	// a closed channel is always ready
	c := make(chan int, 2)
	c <- 7
	close(c)
	v1, ok1 := <-c
	v2, ok2 := <-c
	fmt.Println("closed", v1, ok1, v2, ok2)
}

func late(what string, got, want time.Duration) {
	// never early; generous bound on lateness (loaded CI machines)
	st := "ok"
	if got < want {
		st = "EARLY " + got.String()
	} else if got > want+2*time.Second {
		st = "LATE " + got.String()
	}
	fmt.Println(what, st)
}

func timers() {
	t0 := time.Now()
	time.Sleep(50 * time.Millisecond)
	late("sleep 50ms", time.Since(t0), 50*time.Millisecond)

	// many goroutines sleeping concurrently: total close to one sleep
	t0 = time.Now()
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			time.Sleep(time.Duration(100+i%10) * time.Millisecond)
		}(i)
	}
	wg.Wait()
	el := time.Since(t0)
	late("100 sleepers", el, 109*time.Millisecond)
	fmt.Println("sleepers overlap", el < 5*time.Second)

	// Timer: fires once; Stop before it fires; Reset
	t0 = time.Now()
	tm := time.NewTimer(40 * time.Millisecond)
	<-tm.C
	late("timer 40ms", time.Since(t0), 40*time.Millisecond)
	tm2 := time.NewTimer(time.Hour)
	fmt.Println("stop pending", tm2.Stop())
	t0 = time.Now()
	tm2.Reset(20 * time.Millisecond)
	<-tm2.C
	late("reset 20ms", time.Since(t0), 20*time.Millisecond)

	// AfterFunc runs in its own goroutine
	fired := make(chan string)
	time.AfterFunc(10*time.Millisecond, func() { fired <- "afterfunc" })
	fmt.Println(<-fired)

	// Ticker: count ticks, then stop
	t0 = time.Now()
	tk := time.NewTicker(10 * time.Millisecond)
	n := 0
	for range tk.C {
		n++
		if n == 10 {
			break
		}
	}
	tk.Stop()
	late("10 ticks of 10ms", time.Since(t0), 100*time.Millisecond)
	fmt.Println("ticks", n)

	// a timer racing a busy channel in select
	deadline := time.After(100 * time.Millisecond)
	busy := make(chan int)
	go func() {
		for i := 0; ; i++ {
			select {
			case busy <- i:
			case <-time.After(time.Second):
				return
			}
		}
	}()
	got := 0
loop:
	for {
		select {
		case <-busy:
			got++
		case <-deadline:
			break loop
		}
	}
	fmt.Println("busy select stopped by timer", got > 0)
}

func syncs() {
	// Mutex-protected map updated by many goroutines
	var mu sync.Mutex
	m := map[int]int{}
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 5000; i++ {
				mu.Lock()
				m[i%100] += g
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
	s := 0
	for _, v := range m {
		s += v
	}
	fmt.Println("mutex map", len(m), s)

	// RWMutex: readers in parallel with a writer
	var rw sync.RWMutex
	val := 0
	var reads int64
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				if g == 0 {
					rw.Lock()
					val++
					rw.Unlock()
				} else {
					rw.RLock()
					_ = val
					rw.RUnlock()
					atomic.AddInt64(&reads, 1)
				}
			}
		}(g)
	}
	wg.Wait()
	fmt.Println("rwmutex", val, reads)

	// Cond broadcast, Once, atomics
	var cmu sync.Mutex
	cond := sync.NewCond(&cmu)
	ready := false
	var woke int64
	for g := 0; g < 10; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmu.Lock()
			for !ready {
				cond.Wait()
			}
			cmu.Unlock()
			atomic.AddInt64(&woke, 1)
		}()
	}
	time.Sleep(10 * time.Millisecond)
	cmu.Lock()
	ready = true
	cond.Broadcast()
	cmu.Unlock()
	wg.Wait()
	var once sync.Once
	var onceN int64
	for g := 0; g < 10; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			once.Do(func() { atomic.AddInt64(&onceN, 1) })
		}()
	}
	wg.Wait()
	fmt.Println("cond woke", woke, "once", onceN)

	// sync.Pool and sync.Map under concurrency
	var sm sync.Map
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				sm.Store(g*1000+i, i)
			}
		}(g)
	}
	wg.Wait()
	cnt := 0
	sm.Range(func(k, v any) bool { cnt++; return true })
	fmt.Println("sync.Map", cnt)
}

type node struct {
	left, right *node
	val         int
}

func tree(d, v int) *node {
	if d == 0 {
		return &node{val: v}
	}
	return &node{tree(d-1, 2*v), tree(d-1, 2*v+1), v}
}

func (n *node) sum() int {
	if n == nil {
		return 0
	}
	return n.val + n.left.sum() + n.right.sum()
}

func gc() {
	// allocation-heavy: trees, maps, slices and strings, mostly garbage,
	// from several goroutines at once
	h := sha256.New()
	var wg sync.WaitGroup
	sums := make([]int, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			s := 0
			for r := 0; r < 40; r++ {
				t := tree(12, g+r)
				s += t.sum()
				m := make(map[string][]int)
				for i := 0; i < 2000; i++ {
					k := strconv.Itoa(i*7 + r)
					m[k] = append(m[k], i, r)
				}
				s += len(m)
			}
			sums[g] = s
		}(g)
	}
	// keep some memory live across collections
	live := make([][]byte, 0, 1000)
	for i := 0; i < 20000; i++ {
		b := make([]byte, 64+i%512)
		for j := range b {
			b[j] = byte(i + j)
		}
		if i%20 == 0 {
			live = append(live, b)
		}
		if i%5000 == 0 {
			runtime.GC()
		}
	}
	wg.Wait()
	runtime.GC()
	for _, b := range live {
		h.Write(b)
	}
	for _, s := range sums {
		fmt.Fprintf(h, "%d,", s)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Println("gc sums", sums)
	fmt.Printf("gc checksum %x\n", h.Sum(nil))
	fmt.Println("gc ran", ms.NumGC >= 5, "live", len(live))

	// finalizers run after a collection
	fin := make(chan int, 10)
	for i := 0; i < 10; i++ {
		p := new([64]byte)
		runtime.SetFinalizer(p, func(*[64]byte) { fin <- 1 })
	}
	n := 0
	deadline := time.After(10 * time.Second)
	for n < 10 {
		runtime.GC()
		select {
		case <-fin:
			n++
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			fmt.Println("finalizers stuck at", n)
			return
		}
	}
	fmt.Println("finalizers", n)
}

func gomaxprocs() {
	prev := runtime.GOMAXPROCS(2)
	fmt.Println("gomaxprocs now", runtime.GOMAXPROCS(0), "prev>=1", prev >= 1)
	// CPU-bound goroutines, more than Ps: loops without function calls are
	// only stopped by asynchronous preemption (sysmon's SIGURG), which the
	// sleeping main goroutine needs to get a P back while they run
	var wg sync.WaitGroup
	var finished int64
	res := make([]uint64, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			x := uint64(g + 1)
			for i := 0; i < 150000000; i++ {
				x = x*6364136223846793005 + 1442695040888963407
			}
			res[g] = x
			atomic.AddInt64(&finished, 1)
		}(g)
	}
	ticks := 0
	for ticks < 5 {
		time.Sleep(5 * time.Millisecond)
		ticks++
	}
	fmt.Println("main ran while busy", ticks, atomic.LoadInt64(&finished) < 4)
	wg.Wait()
	fmt.Println("busy results", res)
	runtime.GOMAXPROCS(1)
	fmt.Println("gomaxprocs back to", runtime.GOMAXPROCS(0))
	var n int64
	for g := 0; g < 100; g++ {
		wg.Add(1)
		go func() { defer wg.Done(); atomic.AddInt64(&n, 1) }()
	}
	wg.Wait()
	fmt.Println("goroutines on one P", n)
}

func threads() {
	// goroutines blocked in raw read(2) each hold an OS thread: the
	// runtime starts one per reader
	const n = 64
	var fds [n][2]int
	for i := range fds {
		if err := syscall.Pipe(fds[i][:]); err != nil {
			fmt.Println("pipe:", err)
			return
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	sum := 0
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			b := make([]byte, 8)
			k, err := syscall.Read(fds[i][0], b)
			if err != nil {
				fmt.Println("read:", err)
				return
			}
			mu.Lock()
			sum += int(b[0]) * k
			mu.Unlock()
		}(i)
	}
	time.Sleep(20 * time.Millisecond)
	for i := n - 1; i >= 0; i-- {
		syscall.Write(fds[i][1], []byte{byte(i), 1, 2})
	}
	wg.Wait()
	for i := range fds {
		syscall.Close(fds[i][0])
		syscall.Close(fds[i][1])
	}
	fmt.Println("blocked readers", n, "sum", sum)

	// a goroutine that exits locked to its thread takes the thread along
	var exited int64
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			runtime.LockOSThread()
			if syscall.Gettid() > 0 {
				atomic.AddInt64(&exited, 1)
			}
		}(i)
	}
	wg.Wait()
	fmt.Println("locked goroutines exited with their threads", exited)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gothreads goroutines|channels|timers|sync|gc|gomaxprocs|threads")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "goroutines":
		goroutines()
	case "channels":
		channels()
	case "timers":
		timers()
	case "sync":
		syncs()
	case "gc":
		gc()
	case "gomaxprocs":
		gomaxprocs()
	case "threads":
		threads()
	default:
		fmt.Fprintln(os.Stderr, "unknown subcommand", os.Args[1])
		os.Exit(2)
	}
	fmt.Println("cgo", cgoCheck())
}

// Command differential exercises the parts of the Go runtime and standard
// library that lean on the kernel underneath: threads and the scheduler,
// futexes, timers, the garbage collector and memory returned to the OS,
// signals for asynchronous preemption, and plenty of pure computation.
//
// Its standard output is deterministic: the same bytes whether it runs as a
// Linux process or as a unigo unikernel. So it prints no times, addresses,
// goroutine ids, map iteration orders or counts that depend on scheduling;
// where the interesting fact is a comparison (elapsed >= requested), it
// prints the comparison. It ends with "differential: ok" and exit status 0;
// a failed check prints "FAIL: ..." and exits 1.
//
// It takes about a second as a Linux process on two cores.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand"
	"os"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

var failed bool

// check prints "name: true" when ok and records a failure otherwise.
func check(name string, ok bool) {
	fmt.Printf("%s: %v\n", name, ok)
	if !ok {
		failed = true
		fmt.Printf("FAIL: %s\n", name)
	}
}

func main() {
	runtime.GOMAXPROCS(2)
	sections := []struct {
		name string
		run  func()
	}{
		{"goroutines", goroutines},
		{"channels", channels},
		{"select", selects},
		{"mutex", mutex},
		{"timers", timers},
		{"clocks", clocks},
		{"maps", maps},
		{"gc", gc},
		{"sha256", sha},
		{"big", bigmath},
		{"json", jsonRoundTrip},
		{"sort", sorting},
		{"strconv", conversions},
		{"preemption", preemption},
	}
	for _, s := range sections {
		fmt.Printf("== %s\n", s.name)
		s.run()
	}
	if failed {
		fmt.Println("differential: FAILED")
		os.Exit(1)
	}
	fmt.Println("differential: ok")
}

// goroutines starts 2000 goroutines that are all alive at once, then lets
// each send a result.
func goroutines() {
	const n = 2000
	release := make(chan struct{})
	results := make(chan int, n)
	var started sync.WaitGroup
	for i := range n {
		started.Add(1)
		go func() {
			started.Done()
			<-release
			results <- i * i
		}()
	}
	started.Wait()
	check("goroutines alive >= 2000", runtime.NumGoroutine() >= n)
	close(release)
	sum := 0
	for range n {
		sum += <-results
	}
	fmt.Printf("sum of squares 0..%d: %d\n", n-1, sum)
}

// channels: unbuffered ping-pong, a buffered pipeline, close and range.
func channels() {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(pong)
	}()
	v := 0
	for range 1000 {
		ping <- v
		v = <-pong
	}
	close(ping)
	_, open := <-pong
	fmt.Printf("ping-pong rounds: %d, pong open after close: %v\n", v, open)

	// Three stages joined by buffered channels.
	src := make(chan int, 64)
	sq := make(chan int, 16)
	go func() {
		for i := 1; i <= 10000; i++ {
			src <- i
		}
		close(src)
	}()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for x := range src {
				sq <- x * x % 1000003
			}
		}()
	}
	go func() { wg.Wait(); close(sq) }()
	total, count := 0, 0
	for x := range sq {
		total += x
		count++
	}
	fmt.Printf("pipeline items: %d, checksum: %d\n", count, total)
	fmt.Printf("buffered cap/len: %d/%d\n", cap(src), len(src))
}

// selects: multi-case select until all channels drain, default on empty
// channels, and a nil channel case that never fires.
func selects() {
	a, b, c := make(chan int), make(chan int, 5), make(chan string)
	go func() {
		for i := range 100 {
			a <- i
		}
		close(a)
	}()
	go func() {
		for i := range 100 {
			b <- 1000 + i
		}
		close(b)
	}()
	go func() {
		for i := range 50 {
			c <- strconv.Itoa(i)
		}
		close(c)
	}()
	var never chan int // nil: its case is never ready
	sumA, sumB, nC := 0, 0, 0
	for a != nil || b != nil || c != nil {
		select {
		case x, ok := <-a:
			if !ok {
				a = nil
				continue
			}
			sumA += x
		case x, ok := <-b:
			if !ok {
				b = nil
				continue
			}
			sumB += x
		case s, ok := <-c:
			if !ok {
				c = nil
				continue
			}
			nC += len(s)
		case <-never:
			panic("nil channel fired")
		}
	}
	fmt.Printf("select sums: a=%d b=%d c-digits=%d\n", sumA, sumB, nC)

	empty := make(chan int)
	full := make(chan int) // unbuffered, no receiver: a send blocks
	took := ""
	select {
	case <-empty:
		took = "receive"
	case full <- 1:
		took = "send"
	default:
		took = "default"
	}
	fmt.Printf("select on blocked channels took: %s\n", took)
	ready := make(chan int, 1)
	ready <- 7
	select {
	case v := <-ready:
		fmt.Printf("select with a ready channel received: %d\n", v)
	default:
		fmt.Println("select with a ready channel took: default")
	}
}

// mutex: contended Mutex, RWMutex, Once and Cond.
func mutex() {
	var mu sync.Mutex
	var wg sync.WaitGroup
	counter := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20000 {
				mu.Lock()
				counter++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	fmt.Printf("mutex counter: %d\n", counter)

	var rw sync.RWMutex
	m := map[int]int{}
	for w := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range 500 {
				rw.Lock()
				m[w*1000+i] = i
				rw.Unlock()
			}
		}()
		go func() {
			defer wg.Done()
			for range 500 {
				rw.RLock()
				_ = len(m)
				rw.RUnlock()
			}
		}()
	}
	wg.Wait()
	fmt.Printf("rwmutex map size: %d\n", len(m))

	var once sync.Once
	var onceCount atomic.Int32
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			once.Do(func() { onceCount.Add(1) })
		}()
	}
	wg.Wait()
	fmt.Printf("once ran: %d\n", onceCount.Load())

	// Cond: 10 waiters released by one Broadcast.
	cond := sync.NewCond(&mu)
	waiting, released := 0, false
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			waiting++
			for !released {
				cond.Wait()
			}
			mu.Unlock()
		}()
	}
	for {
		mu.Lock()
		if waiting == 10 {
			released = true
			cond.Broadcast()
			mu.Unlock()
			break
		}
		mu.Unlock()
		runtime.Gosched()
	}
	wg.Wait()
	fmt.Printf("cond waiters released: %d\n", waiting)
}

//go:linkname nanotime runtime.nanotime
func nanotime() int64

// clockGettime reads a clock through the system call, never the vDSO.
func clockGettime(clock uintptr) int64 {
	var ts syscall.Timespec
	if _, _, e := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clock, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return -1
	}
	return ts.Nano()
}

// clocks: the runtime's clock reads (through the vDSO where there is one)
// agree with the clock_gettime system call.
func clocks() {
	a := clockGettime(1) // CLOCK_MONOTONIC
	b := nanotime()
	c := clockGettime(1)
	check("monotonic: syscall <= runtime <= syscall", a > 0 && a <= b && b <= c)
	d := time.Since(time.Unix(0, clockGettime(0))) // CLOCK_REALTIME
	check("realtime: time.Now within 1s of the syscall", d > -time.Second && d < time.Second)
	check("boottime: reads", clockGettime(7) > 0)
}

// timers: time.After, Sleep, a Ticker counting ticks, AfterFunc, Stop and
// Reset. Only counts and comparisons are printed.
func timers() {
	start := time.Now()
	select {
	case <-time.After(10 * time.Millisecond):
		fmt.Println("time.After: short timer first")
	case <-time.After(time.Hour):
		fmt.Println("time.After: long timer first")
	}
	check("time.After elapsed >= 10ms", time.Since(start) >= 10*time.Millisecond)

	start = time.Now()
	time.Sleep(20 * time.Millisecond)
	check("time.Sleep elapsed >= 20ms", time.Since(start) >= 20*time.Millisecond)

	const period, n = 5 * time.Millisecond, 10
	t := time.NewTicker(period)
	start = time.Now()
	ticks := 0
	for range t.C {
		ticks++
		if ticks == n {
			break
		}
	}
	t.Stop()
	fmt.Printf("ticker ticks: %d\n", ticks)
	check("ticker elapsed >= 10 periods", time.Since(start) >= n*period)

	var wg sync.WaitGroup
	var fired atomic.Int32
	for i := range 5 {
		wg.Add(1)
		time.AfterFunc(time.Duration(i+1)*3*time.Millisecond, func() {
			fired.Add(1)
			wg.Done()
		})
	}
	wg.Wait()
	fmt.Printf("AfterFunc fired: %d\n", fired.Load())

	// AfterFunc callbacks that run strictly one after another: each
	// schedules the next, so their order is fixed.
	var order []int
	done := make(chan struct{})
	var step func(i int)
	step = func(i int) {
		order = append(order, i)
		if i == 4 {
			close(done)
			return
		}
		time.AfterFunc(time.Millisecond, func() { step(i + 1) })
	}
	time.AfterFunc(time.Millisecond, func() { step(0) })
	<-done
	fmt.Printf("chained AfterFunc order: %v\n", order)

	var stoppedFired atomic.Bool
	long := time.AfterFunc(time.Hour, func() { stoppedFired.Store(true) })
	fmt.Printf("Stop before firing: %v\n", long.Stop())
	fmt.Printf("Stop again: %v\n", long.Stop())
	reset := time.NewTimer(time.Hour)
	reset.Reset(5 * time.Millisecond)
	<-reset.C
	fmt.Println("timer Reset to 5ms fired")
	check("stopped AfterFunc never ran", !stoppedFired.Load())
}

// maps: insert, delete, iterate; output sorted.
func maps() {
	m := make(map[int]string)
	for i := range 10000 {
		m[i] = strconv.Itoa(i * 7)
	}
	for i := 0; i < 10000; i += 2 {
		delete(m, i)
	}
	keys := make([]int, 0, len(m))
	sum := 0
	for k, v := range m {
		keys = append(keys, k)
		n, _ := strconv.Atoi(v)
		sum += n
	}
	sort.Ints(keys)
	fmt.Printf("map len: %d, value sum: %d, first keys: %v, last key: %d\n", len(m), sum, keys[:5], keys[len(keys)-1])

	words := map[string]int{}
	for _, w := range strings.Fields("the quick brown fox jumps over the lazy dog the end") {
		words[w]++
	}
	ws := make([]string, 0, len(words))
	for w, c := range words {
		ws = append(ws, fmt.Sprintf("%s=%d", w, c))
	}
	sort.Strings(ws)
	fmt.Printf("word counts: %s\n", strings.Join(ws, " "))
	clear(words)
	fmt.Printf("after clear: %d\n", len(words))
}

var sink []byte

// gc allocates and drops 1 MiB slices 1100 times (over 1 GiB in total)
// while the live heap stays a few MiB, then collects.
func gc() {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sum := 0
	for i := range 1100 {
		b := make([]byte, 1<<20)
		b[i%len(b)] = byte(i)
		b[len(b)-1] = 1
		sink = b
		sum += int(b[len(b)-1])
	}
	sink = nil
	runtime.GC()
	runtime.ReadMemStats(&after)
	fmt.Printf("slices touched: %d\n", sum)
	check("allocated >= 1GiB", after.TotalAlloc-before.TotalAlloc >= 1<<30)
	check("gc ran", after.NumGC > before.NumGC)
	check("live heap < 64MiB after GC", after.HeapAlloc < 64<<20)

	// Many small objects in a linked structure that survives a GC.
	type node struct {
		next *node
		val  int
	}
	var head *node
	for i := range 100000 {
		head = &node{head, i}
	}
	runtime.GC()
	n, s := 0, 0
	for p := head; p != nil; p = p.next {
		n++
		s += p.val
	}
	fmt.Printf("list after GC: %d nodes, sum %d\n", n, s)
}

// sha: SHA-256 of known data.
func sha() {
	fmt.Printf("sha256(\"abc\") = %x\n", sha256.Sum256([]byte("abc")))
	h := sha256.New()
	block := make([]byte, 4096)
	for i := range block {
		block[i] = byte(i * 31)
	}
	for range 256 { // 1 MiB
		h.Write(block)
	}
	fmt.Printf("sha256(1 MiB pattern) = %s\n", hex.EncodeToString(h.Sum(nil)))
}

// bigmath: 100!, a modular exponentiation and a Mersenne prime.
func bigmath() {
	f := new(big.Int).MulRange(1, 100)
	fmt.Printf("100! = %s\n", f)
	m := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 127), big.NewInt(1)) // 2^127-1
	e := new(big.Int).Exp(big.NewInt(10), big.NewInt(30), nil)
	fmt.Printf("3^(10^30) mod (2^127-1) = %s\n", new(big.Int).Exp(big.NewInt(3), e, m))
	p := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 521), big.NewInt(1))
	fmt.Printf("2^521-1 probably prime: %v\n", p.ProbablyPrime(20))
	r := new(big.Rat).SetFrac64(1, 3)
	r.Add(r, big.NewRat(1, 6))
	fmt.Printf("1/3 + 1/6 = %s\n", r)
}

type record struct {
	Name    string            `json:"name"`
	Age     int               `json:"age"`
	Score   float64           `json:"score"`
	Tags    []string          `json:"tags"`
	Attrs   map[string]string `json:"attrs"`
	Inner   *inner            `json:"inner,omitempty"`
	Skipped string            `json:"-"`
}

type inner struct {
	OK    bool    `json:"ok"`
	Ratio float32 `json:"ratio"`
}

// jsonRoundTrip marshals a struct, prints it and checks the round trip.
func jsonRoundTrip() {
	in := record{
		Name: "Gopher \"unigo\" <&>", Age: 16, Score: 98.625,
		Tags:  []string{"go", "unikernel", "ünïcödé"},
		Attrs: map[string]string{"z": "last", "a": "first", "m": "middle"},
		Inner: &inner{OK: true, Ratio: 0.5},
	}
	data, err := json.Marshal(in)
	if err != nil {
		check("json marshal", false)
		return
	}
	fmt.Printf("json: %s\n", data)
	var out record
	if err := json.Unmarshal(data, &out); err != nil {
		check("json unmarshal", false)
		return
	}
	check("json round trip equal", reflect.DeepEqual(in, out))
	indented, _ := json.MarshalIndent(map[string]any{"n": 1, "list": []int{1, 2}}, "", " ")
	fmt.Printf("indented:\n%s\n", indented)
}

// sorting: 10,000 pseudo-random ints from a fixed seed.
func sorting() {
	rng := rand.New(rand.NewSource(20240601))
	xs := make([]int, 10000)
	sum := 0
	for i := range xs {
		xs[i] = rng.Intn(1000000)
		sum += xs[i]
	}
	sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
	check("sorted", sort.IntsAreSorted(xs))
	fmt.Printf("sort: n=%d sum=%d min=%d median=%d max=%d\n", len(xs), sum, xs[0], xs[len(xs)/2], xs[len(xs)-1])
	names := []string{"pear", "apple", "fig", "banana", "cherry"}
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	fmt.Printf("reverse sorted: %v\n", names)
}

// conversions: strconv round trips.
func conversions() {
	f, err := strconv.ParseFloat("3.14159265358979323846", 64)
	fmt.Printf("ParseFloat: %v %v\n", f, err)
	fmt.Printf("FormatFloat: %s %s %s\n", strconv.FormatFloat(f, 'g', -1, 64), strconv.FormatFloat(f, 'e', 5, 64), strconv.FormatFloat(1e21, 'f', -1, 64))
	fmt.Printf("float32: %s\n", strconv.FormatFloat(0.1, 'g', -1, 32))
	fmt.Printf("Quote: %s\n", strconv.Quote("hello\n\"世界\"\x00\t"))
	fmt.Printf("QuoteToASCII: %s\n", strconv.QuoteToASCII("héllo ☺"))
	n, err := strconv.ParseInt("-0x7fffffffffffffff", 0, 64)
	fmt.Printf("ParseInt: %d %v\n", n, err)
	_, err = strconv.Atoi("12a")
	fmt.Printf("Atoi error: %v\n", err)
	u, _ := strconv.ParseUint("18446744073709551615", 10, 64)
	fmt.Printf("max uint64: %d %s\n", u, strconv.FormatUint(u, 36))
	_, err = strconv.ParseFloat("1e400", 64)
	fmt.Printf("overflow: %v\n", err)
}

var stop atomic.Bool

// preemption: as many spinning goroutines as Ps, each in a loop without
// function calls, so that other goroutines run only if the scheduler
// preempts the spinners (asynchronous preemption, SIGURG).
func preemption() {
	procs := runtime.GOMAXPROCS(0)
	var spun sync.WaitGroup
	var spinning atomic.Int32
	counts := make([]uint64, procs)
	for i := range procs {
		spun.Add(1)
		go func() {
			defer spun.Done()
			spinning.Add(1)
			var n uint64
			for !stop.Load() { // an intrinsic load: no call, no safepoint
				n++
			}
			counts[i] = n
		}()
	}
	// Wait until every spinner has started, so they hold all Ps.
	for spinning.Load() < int32(procs) {
		runtime.Gosched()
	}
	var workers sync.WaitGroup
	results := make(chan int, 10)
	for i := range 10 {
		workers.Add(1)
		go func() {
			defer workers.Done()
			s := 0
			for j := range 1000 {
				s += j * i
			}
			time.Sleep(time.Millisecond)
			results <- s
		}()
	}
	workers.Wait()
	close(results)
	total := 0
	for s := range results {
		total += s
	}
	stop.Store(true)
	spun.Wait()
	fmt.Printf("workers finished while %d goroutines spun: total %d\n", procs, total)
	all := true
	for _, c := range counts {
		all = all && c > 0
	}
	check("every spinner ran", all)
}

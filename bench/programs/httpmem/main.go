// Command httpmem is examples/httpserver's "/" route plus /mem, which
// reports where the guest's memory is: the kernel's /proc/meminfo (RAM, the
// program's pages, kernel objects, stacks, socket rings) and the Go
// runtime's own view (runtime.MemStats). The HTTP benchmark's small-memory
// stage loads it to explain its numbers (bench/README.md).
package main

import (
	"fmt"
	"log"
	"math"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
)

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "Hello from unigo! You asked for %s\n", r.URL.Path)
	})
	mux.HandleFunc("/mem", func(w http.ResponseWriter, r *http.Request) {
		mi, err := os.ReadFile("/proc/meminfo")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		fmt.Fprintf(w, "%s", mi)
		const k = 1024
		fmt.Fprintf(w, "GoSys:          %8d kB\nGoHeapInuse:    %8d kB\nGoHeapIdle:     %8d kB\nGoHeapReleased: %8d kB\n",
			m.Sys/k, m.HeapInuse/k, m.HeapIdle/k, m.HeapReleased/k)
		fmt.Fprintf(w, "GoStackInuse:   %8d kB\nGoOtherSys:     %8d kB\nGoNumGC:        %8d\nGoroutines:     %8d\n",
			m.StackInuse/k, (m.MSpanSys+m.MCacheSys+m.BuckHashSys+m.GCSys+m.OtherSys)/k, m.NumGC, runtime.NumGoroutine())
		if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
			fmt.Fprintf(w, "GoMemLimit:     %8d kB\n", l/k)
		}
	})
	log.Fatal(http.ListenAndServe(":8080", mux))
}

// Kraftapp is a project driven by its Kraftfile: its arguments,
// environment and root file system all come from there.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Printf("argv0=%s args=%q\n", os.Args[0], os.Args[1:])
	fmt.Printf("APP_MODE=%s\n", os.Getenv("APP_MODE"))
	conf, err := os.ReadFile("/etc/app.conf")
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Printf("/etc/app.conf: %s", conf)
}

module unigo.dev/unigo/kernel

go 1.26

module unigo.dev/unigo

go 1.26.3

require (
	golang.org/x/mod v0.42.0
	unigo.dev/unigo/kernel v0.0.0-00010101000000-000000000000
)

replace unigo.dev/unigo/kernel => ./kernel

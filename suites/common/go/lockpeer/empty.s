// This file is intentionally empty of code. Its presence tells the Go tool
// that the package may declare functions without a body (gbench.go's
// go:linkname to runtime.nanotime; here lockpeer.go's); without an assembly file the compiler
// runs with -complete and rejects such declarations.

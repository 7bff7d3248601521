package main

import "runtime"

// runtime_Gosched: a waiting loop's yield (the C++ rigs' std::this_thread::yield).
func runtime_Gosched() { runtime.Gosched() }
